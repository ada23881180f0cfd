package io.github.dgpo.train.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The dense float32 matrix-multiply rate of this process's engine: the denominator of model
 * FLOPs utilisation (square products), and the time of one product of a given shape (e.g. the
 * output head's {@code [tokens × H]·[H × V]}). The best of a few timed products after a warm-up.
 */
public final class GemmRate {

    private GemmRate() {}

    /**
     * One product's shape and its measured time.
     *
     * @param m rows of the left factor
     * @param k the shared dimension
     * @param n columns of the right factor
     * @param seconds best time of one product
     */
    public record Product(int m, int k, int n, double seconds) {
        /** @return GFLOP/s (a multiply-add counts as 2) */
        public double gflops() {
            return 2.0 * m * k * n / seconds / 1e9;
        }
    }

    /**
     * Measures the rate.
     *
     * @param manager where to allocate (the training device)
     * @param size the side of the square matrices
     * @param repeats timed products after one warm-up
     * @return GFLOP/s (a multiply-add counts as 2)
     */
    public static double measure(NDManager manager, int size, int repeats) {
        return time(manager, size, size, size, repeats).gflops();
    }

    /**
     * Times {@code [m × k]·[k × n]}.
     *
     * @param manager where to allocate (the training device)
     * @param m rows of the left factor
     * @param k the shared dimension
     * @param n columns of the right factor
     * @param repeats timed products after one warm-up
     * @return the shape and its best time
     */
    public static Product time(NDManager manager, int m, int k, int n, int repeats) {
        if (m < 1 || k < 1 || n < 1 || repeats < 1) {
            throw new IllegalArgumentException("matrix sides and repeats must be >= 1, got " + m + "x" + k + "x" + n + " and " + repeats + " repeats");
        }
        try (NDManager sub = manager.newSubManager()) {
            NDArray a = sub.randomUniform(-1, 1, new Shape(m, k), DataType.FLOAT32);
            NDArray b = sub.randomUniform(-1, 1, new Shape(k, n), DataType.FLOAT32);
            a.matMul(b).close();
            double best = Double.MAX_VALUE;
            for (int i = 0; i < repeats; i++) {
                long t0 = System.nanoTime();
                NDArray c = a.matMul(b);
                c.getFloat(0, 0);
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                c.close();
            }
            return new Product(m, k, n, best);
        }
    }
}
