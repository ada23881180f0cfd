package io.github.dgpo.train.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The dense float32 matrix-multiply rate of this process's engine: the denominator of model
 * FLOPs utilisation. The best of a few timed square products after a warm-up.
 */
public final class GemmRate {

    private GemmRate() {}

    /**
     * Measures the rate.
     *
     * @param manager where to allocate (the training device)
     * @param size the side of the square matrices
     * @param repeats timed products after one warm-up
     * @return GFLOP/s (a multiply-add counts as 2)
     */
    public static double measure(NDManager manager, int size, int repeats) {
        try (NDManager m = manager.newSubManager()) {
            NDArray a = m.randomUniform(-1, 1, new Shape(size, size), DataType.FLOAT32);
            NDArray b = m.randomUniform(-1, 1, new Shape(size, size), DataType.FLOAT32);
            a.matMul(b).close();
            double best = Double.MAX_VALUE;
            for (int i = 0; i < repeats; i++) {
                long t0 = System.nanoTime();
                NDArray c = a.matMul(b);
                c.getFloat(0, 0);
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                c.close();
            }
            return 2.0 * size * size * size / best / 1e9;
        }
    }
}
