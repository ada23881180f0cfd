package io.github.dgpo.losses;

import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.function.DoublePredicate;

/**
 * Checks a loss's closed-form {@code d_w}, {@code d_l} against (1) the autograd gradient
 * through the DJL engine and (2) a central finite difference of the loss, in float64.
 *
 * <p>The finite difference is Richardson-extrapolated ({@code (4D(h/2) - D(h))/3}, error
 * {@code O(h^4)}) with a step proportional to the pair's distance from 0 in per-token
 * averages, so it resolves ORPO's singularity at {@code A = 0}. Where a hinge has its kink
 * within a few steps of the point, either one-sided second-order difference is accepted.
 */
final class GradientCheck {

    static final double REL = 1e-6;
    static final double ABS = 1e-12;

    private GradientCheck() {}

    static boolean close(double expected, double actual) {
        double diff = Math.abs(expected - actual);
        return diff <= ABS || diff <= REL * Math.max(Math.abs(expected), Math.abs(actual));
    }

    /** The loss's outputs on the points, as doubles. */
    static double[][] evaluate(NDManager m, PreferenceLoss loss, Points p) {
        try (NDManager sub = m.newSubManager()) {
            LossOutput out = loss.compute(p.toLogps(sub, null, null));
            return new double[][] {
                out.perPair().toDoubleArray(), out.dW().toDoubleArray(), out.dL().toDoubleArray(), out.margins().toDoubleArray()
            };
        }
    }

    /** {@code -∂L/∂S_w} and {@code ∂L/∂S_l} by autograd on the per-pair losses. */
    static double[][] autograd(NDManager m, PreferenceLoss loss, Points p) {
        try (NDManager sub = m.newSubManager()) {
            NDArray sw = sub.create(p.sw);
            NDArray sl = sub.create(p.sl);
            sw.setRequiresGradient(true);
            sl.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray total = loss.compute(p.toLogps(sub, sw, sl)).perPair().sum();
                gc.backward(total);
            }
            return new double[][] {sw.getGradient().neg().toDoubleArray(), sl.getGradient().toDoubleArray()};
        }
    }

    /** Per-pair losses with the chosen (which = 0) or rejected sums shifted by {@code t·h}. */
    static double[] shifted(NDManager m, PreferenceLoss loss, Points p, int which, double t, double[] h) {
        double[] sw = p.sw.clone();
        double[] sl = p.sl.clone();
        double[] x = which == 0 ? sw : sl;
        for (int i = 0; i < x.length; i++) {
            x[i] += t * h[i];
        }
        try (NDManager sub = m.newSubManager()) {
            return loss.compute(new Points(sw, sl, p.nw, p.nl, p.rw, p.rl, p.mis, p.misRef).toLogps(sub, null, null))
                    .perPair()
                    .toDoubleArray();
        }
    }

    /** Candidate steps in per-token-average units; {@code s = min(1, |A|)} resolves ORPO near 0. */
    private static final double[] ABSOLUTE_STEPS = {1e-2, 1e-3, 1e-4};
    private static final double[] RELATIVE_STEPS = {1e-2, 1e-4};

    /** Step in the sums for candidate {@code k}: absolute steps first, then relative to |A|. */
    static double[] steps(double[] sums, double[] counts, int k) {
        double[] h = new double[sums.length];
        for (int i = 0; i < h.length; i++) {
            double scale = k < ABSOLUTE_STEPS.length
                    ? ABSOLUTE_STEPS[k]
                    : RELATIVE_STEPS[k - ABSOLUTE_STEPS.length] * Math.min(1, Math.abs(sums[i] / counts[i]));
            h[i] = scale * counts[i];
        }
        return h;
    }

    /**
     * Runs both comparisons and fails with the first offending pair.
     *
     * @param nearKink per-pair margin predicate: true where a hinge kink may be within reach
     *     of the finite-difference stencil
     * @param finiteDifference false where the closed form is by design not the derivative of
     *     the loss value (a detached weight): then only autograd is compared
     */
    static void check(NDManager m, PreferenceLoss loss, Points p, DoublePredicate nearKink, boolean finiteDifference) {
        double[][] closed = evaluate(m, loss, p);
        double[][] auto = autograd(m, loss, p);
        for (int which = 0; which < 2; which++) {
            String what = which == 0 ? "d_w" : "d_l";
            for (int i = 0; i < p.size(); i++) {
                double expected = closed[1 + which][i];
                String where = describe(loss, p, i, what);
                assertFinite(expected, where);
                assertFinite(closed[0][i], where);
                if (!close(expected, auto[which][i])) {
                    fail("autograd " + auto[which][i] + " != closed form " + expected + " at " + where);
                }
            }
            if (!finiteDifference) {
                continue;
            }
            int candidates = ABSOLUTE_STEPS.length + RELATIVE_STEPS.length;
            double[][] fd = new double[candidates][];
            double[][] oneSided = new double[candidates * 2][];
            for (int k = 0; k < candidates; k++) {
                double[][] d = differences(m, loss, p, which, steps(which == 0 ? p.sw : p.sl, which == 0 ? p.nw : p.nl, k), closed[0]);
                fd[k] = d[0];
                oneSided[2 * k] = d[1];
                oneSided[2 * k + 1] = d[2];
            }
            for (int i = 0; i < p.size(); i++) {
                double expected = closed[1 + which][i];
                if (anyClose(expected, fd, i) || (nearKink.test(closed[3][i]) && anyClose(expected, oneSided, i))) {
                    continue;
                }
                fail("finite differences " + column(fd, i) + " != closed form " + expected + " at " + describe(loss, p, i, what));
            }
        }
    }

    /** Richardson central, forward and backward differences, signed as d_w/d_l. */
    private static double[][] differences(NDManager m, PreferenceLoss loss, Points p, int which, double[] h, double[] f0) {
        double sign = which == 0 ? -1 : 1; // d_w = -∂L/∂S_w, d_l = +∂L/∂S_l
        double[] fp = shifted(m, loss, p, which, 1, h);
        double[] fm = shifted(m, loss, p, which, -1, h);
        double[] fp2 = shifted(m, loss, p, which, 0.5, h);
        double[] fm2 = shifted(m, loss, p, which, -0.5, h);
        double[][] out = new double[3][p.size()];
        for (int i = 0; i < p.size(); i++) {
            double d1 = (fp[i] - fm[i]) / (2 * h[i]);
            double d2 = (fp2[i] - fm2[i]) / h[i];
            out[0][i] = sign * (4 * d2 - d1) / 3;
            out[1][i] = sign * (-3 * f0[i] + 4 * fp2[i] - fp[i]) / h[i];
            out[2][i] = sign * (3 * f0[i] - 4 * fm2[i] + fm[i]) / h[i];
        }
        return out;
    }

    private static boolean anyClose(double expected, double[][] values, int i) {
        for (double[] v : values) {
            if (close(expected, v[i])) {
                return true;
            }
        }
        return false;
    }

    private static String column(double[][] values, int i) {
        StringBuilder sb = new StringBuilder("[");
        for (double[] v : values) {
            sb.append(sb.length() > 1 ? ", " : "").append(v[i]);
        }
        return sb.append(']').toString();
    }

    static void assertFinite(double v, String where) {
        if (!Double.isFinite(v)) {
            fail("non-finite value " + v + " at " + where);
        }
    }

    static String describe(PreferenceLoss loss, Points p, int i, String what) {
        return String.format(
                "%s %s pair %d: S_w=%s S_l=%s n_w=%s n_l=%s R_w=%s R_l=%s",
                loss, what, i, p.sw[i], p.sl[i], p.nw[i], p.nl[i], p.rw[i], p.rl[i]);
    }
}
