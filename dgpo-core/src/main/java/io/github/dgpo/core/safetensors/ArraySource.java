package io.github.dgpo.core.safetensors;

import ai.djl.ndarray.NDArray;

/** A float32 (or float16, widened) {@link NDArray} as a {@link SafetensorsWriter.Source}, read in chunks. */
public final class ArraySource implements SafetensorsWriter.Source {

    private final String name;
    private final NDArray array;

    /**
     * Wraps an array.
     *
     * @param name the tensor name
     * @param array the array (its current values are written)
     */
    public ArraySource(String name, NDArray array) {
        this.name = name;
        this.array = array;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long[] shape() {
        return array.getShape().getShape();
    }

    @Override
    public void read(long first, float[] dst, int count) {
        try (NDArray detached = array.stopGradient(); NDArray flat = detached.reshape(-1); NDArray part = flat.get(first + ":" + (first + count));
                NDArray wide = part.toType(ai.djl.ndarray.types.DataType.FLOAT32, false)) {
            System.arraycopy(wide.toFloatArray(), 0, dst, 0, count);
        }
    }
}
