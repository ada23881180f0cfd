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
     * Cosines and sines for positions {@code offset .. offset + T - 1}, shared by all rows.
     *
     * @param manager where to create them
     * @param offset first position
     * @param length {@code T}
     * @return the tables, {@code [T, headDim]}
     */
    Tables tables(NDManager manager, long offset, int length) {
        float[][] cs = fill(length, t -> offset + t);
        Shape shape = new Shape(length, dim);
        NDArray cos = manager.create(cs[0], shape);
        NDArray sin = manager.create(cs[1], shape);
        return new Tables(cos, sin, cos, sin);
    }

    /**
     * Cosines and sines for each token's own position.
     *
     * @param manager where to create them
     * @param positions {@code [N][T]}
     * @return the tables, shaped to broadcast against queries {@code [N, kv, g, T, d]} and keys
     *     {@code [N, kv, T, d]}
     */
    Tables tables(NDManager manager, int[][] positions) {
        int n = positions.length;
        int t = n == 0 ? 0 : positions[0].length;
        float[][] cs = fill(n * t, k -> positions[k / t][k % t]);
        NDArray cos = manager.create(cs[0], new Shape(n, 1, t, dim));
        NDArray sin = manager.create(cs[1], new Shape(n, 1, t, dim));
        return new Tables(cos.reshape(n, 1, 1, t, dim), sin.reshape(n, 1, 1, t, dim), cos, sin);
    }

    private float[][] fill(int count, java.util.function.IntToLongFunction position) {
        float[] cos = new float[count * dim];
        float[] sin = new float[count * dim];
        int half = dim / 2;
        for (int t = 0; t < count; t++) {
            float p = position.applyAsLong(t);
            for (int i = 0; i < half; i++) {
                float angle = inverseFrequencies[i] * p;
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                cos[t * dim + i] = c;
                cos[t * dim + i + half] = c;
                sin[t * dim + i] = s;
                sin[t * dim + i + half] = s;
            }
        }
        return new float[][] {cos, sin};
    }

    /**
     * Rotary tables for one forward pass.
     *
     * @param queryCos cosines broadcasting against queries
     * @param querySin sines broadcasting against queries
     * @param keyCos cosines broadcasting against keys
     * @param keySin sines broadcasting against keys
     */
    record Tables(NDArray queryCos, NDArray querySin, NDArray keyCos, NDArray keySin) {}

    /** {@code x·cos + rotate_half(x)·sin}, broadcasting over the leading axes. */
    static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        return x.mul(cos).add(Ops.rotateHalf(x).mul(sin));
    }
}
