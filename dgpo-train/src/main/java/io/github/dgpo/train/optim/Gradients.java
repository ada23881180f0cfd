package io.github.dgpo.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.util.Map;

/** Global-norm gradient clipping and gradient housekeeping (DJL's own clipping is element-wise). */
public final class Gradients {

    private Gradients() {}

    /**
     * The L2 norm of all gradients together.
     *
     * @param parameters the parameters
     * @return {@code sqrt(Σ ||g||²)} (NaN or infinite when a gradient is)
     */
    public static double globalNorm(Map<String, NDArray> parameters) {
        double sum = 0;
        for (NDArray p : parameters.values()) {
            try (NDManager tmp = p.getManager().newSubManager()) {
                NDArray g = p.getGradient();
                g.attach(tmp);
                double n = g.norm().toType(DataType.FLOAT64, false).getDouble();
                sum += n * n;
            }
        }
        return Math.sqrt(sum);
    }

    /**
     * Scales all gradients so their global norm is at most {@code maxNorm} (PyTorch's {@code
     * clip_grad_norm_}: factor {@code maxNorm / (norm + 1e-6)} when below 1).
     *
     * @param parameters the parameters
     * @param norm the global norm
     * @param maxNorm the limit; 0 disables clipping
     */
    public static void clip(Map<String, NDArray> parameters, double norm, double maxNorm) {
        if (maxNorm <= 0) {
            return;
        }
        double factor = maxNorm / (norm + 1e-6);
        if (factor < 1) {
            for (NDArray p : parameters.values()) {
                try (NDManager tmp = p.getManager().newSubManager()) {
                    NDArray g = p.getGradient();
                    g.attach(tmp);
                    g.muli(factor);
                }
            }
        }
    }

    /**
     * Sets every gradient to exactly 0 (also NaN or infinite ones, which {@code g - g} would
     * keep).
     *
     * @param parameters the parameters
     */
    public static void zero(Map<String, NDArray> parameters) {
        for (NDArray p : parameters.values()) {
            try (NDManager tmp = p.getManager().newSubManager()) {
                NDArray g = p.getGradient();
                g.attach(tmp);
                g.set(new NDIndex("..."), 0);
            }
        }
    }
}
