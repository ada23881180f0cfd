package io.github.dgpo.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embeddings in HF's {@code rotate_half} layout, with {@code rope_theta} and
 * the {@code linear}/{@code llama3} scalings. Angles are formed in float32 as HF does.
 */
final class RotaryEmbedding {

    private final float[] inverseFrequencies;
    private final int dim;

    RotaryEmbedding(ModelConfig config) {
        this.dim = config.headDim();
        double[] inv = config.ropeScaling().inverseFrequencies(config.ropeTheta(), dim);
        this.inverseFrequencies = new float[inv.length];
        for (int i = 0; i < inv.length; i++) {
            inverseFrequencies[i] = (float) inv[i];
        }
    }

    /**
     * Returns {@code {cos, sin}} of shape {@code [T, headDim]} for positions {@code offset ..
     * offset + T - 1}.
     */
    NDArray[] cosSin(NDManager manager, long offset, int length) {
        float[] cos = new float[length * dim];
        float[] sin = new float[length * dim];
        int half = dim / 2;
        for (int t = 0; t < length; t++) {
            float position = offset + t;
            for (int i = 0; i < half; i++) {
                float angle = inverseFrequencies[i] * position;
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                cos[t * dim + i] = c;
                cos[t * dim + i + half] = c;
                sin[t * dim + i] = s;
                sin[t * dim + i + half] = s;
            }
        }
        Shape shape = new Shape(length, dim);
        return new NDArray[] {manager.create(cos, shape), manager.create(sin, shape)};
    }

    /** {@code x·cos + rotate_half(x)·sin}, broadcasting over the leading axes. */
    static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        return x.mul(cos).add(Ops.rotateHalf(x).mul(sin));
    }
}
