package io.github.dgpo.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Random;

/**
 * A seeded random initialisation: weights from {@code N(0, initializer_range²)}, norms 1, biases
 * 0, drawn in Java in layout order so the same seed gives the same model on any engine. Values
 * are drawn a block of rows at a time through one reused direct staging buffer, so neither a Java
 * array of a whole large tensor nor native garbage per block (a fresh Java buffer per block would
 * stay resident until the next garbage collection) is made.
 */
final class RandomWeights {

    private static final int BLOCK = 8 * 1024 * 1024;

    private RandomWeights() {}

    /**
     * Draws every parameter of a config.
     *
     * @param config the config
     * @param seed the seed
     * @param m the manager of the parameters
     * @param baseDtype which weights to hold in float16
     * @return the parameters
     */
    static ParameterSet draw(ModelConfig config, long seed, NDManager m, BaseDtype baseDtype) {
        double std = config.toJson().path("initializer_range").asDouble(0.02);
        Random random = new Random(seed);
        ParameterSet params = new ParameterSet();
        ByteBuffer staging = ByteBuffer.allocateDirect(BLOCK * 4).order(ByteOrder.nativeOrder());
        for (Map.Entry<String, long[]> e : ParameterLayout.of(config).shapes().entrySet()) {
            String name = e.getKey();
            Shape shape = new Shape(e.getValue());
            NDArray array;
            if (name.endsWith(".bias")) {
                array = m.zeros(shape, DataType.FLOAT32);
            } else if (ParameterLayout.isNormOrBias(name)) {
                array = m.ones(shape, DataType.FLOAT32);
            } else {
                array = gaussian(m, shape, random, std, staging);
            }
            params.put(name, baseDtype.narrows(name, config) ? BaseDtype.narrow(name, array) : array);
        }
        return params;
    }

    /** {@code N(0, std²)} values in row-major order, a block of rows at a time. */
    private static NDArray gaussian(NDManager m, Shape shape, Random random, double std, ByteBuffer staging) {
        NDArray array = m.zeros(shape, DataType.FLOAT32);
        long rows = shape.get(0);
        long rowElements = shape.size() / rows;
        long rowsPerBlock = Math.max(1, BLOCK / rowElements);
        for (long r0 = 0; r0 < rows; r0 += rowsPerBlock) {
            long r1 = Math.min(rows, r0 + rowsPerBlock);
            int count = Math.toIntExact((r1 - r0) * rowElements);
            ByteBuffer block = count * 4 <= staging.capacity() ? staging : ByteBuffer.allocateDirect(count * 4).order(ByteOrder.nativeOrder());
            block.clear();
            FloatBuffer values = block.asFloatBuffer();
            for (int i = 0; i < count; i++) {
                values.put((float) (random.nextGaussian() * std));
            }
            block.limit(count * 4);
            long[] partShape = shape.getShape().clone();
            partShape[0] = r1 - r0;
            try (NDArray part = m.create(block, new Shape(partShape), DataType.FLOAT32)) {
                array.set(new NDIndex(r0 + ":" + r1), part);
            }
        }
        return array;
    }
}
