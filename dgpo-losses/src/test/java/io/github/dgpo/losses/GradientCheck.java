package io.github.dgpo.losses;

import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.Map;
import java.util.function.DoublePredicate;

/**
 * Checks a loss's closed-form {@code d_w}, {@code d_l} against (1) the autograd gradient
 * through the DJL engine and (2) a central finite difference of the loss, in float64.
 *
 * <p>The finite difference is Richardson-extrapolated ({@code (4D(h/2) - D(h))/3}, error
 * {@code O(h^4)}). Candidate steps: proportional to the completion length (a fixed step in
 * per-token averages), proportional to the pair's distance from 0 in per-token averages (which
 * resolves ORPO's singularity at {@code A = 0}), and fixed steps in the sums (which resolve the
 * f-divergences' exponential scores of log-ratios of sums). A candidate agrees when within the
 * relative tolerance or within its own rounding noise {@code 64·ulp(L)/h} (a loss of 1e28, as IPO
 * with forward KL reaches, cannot resolve a gradient of 1e-7). Where a hinge has its kink within
 * a few steps of the point, either one-sided second-order difference is accepted.
 *
 * <p>A loss with {@link PreferenceLoss#state() state} (BCO's running mean) has it restored before
 * every evaluation, so all of them see the same state. {@link #checkBatch} checks the batch form of
 * a {@link PreferenceLoss#batchDependent() batch-dependent} loss.
 */
final class GradientCheck {

    static final double REL = 1e-6;
    static final double ABS = 1e-12;

    private static final double[] LENGTH_STEPS = {1e-2, 1e-3, 1e-4};
    private static final double[] RELATIVE_STEPS = {1e-2, 1e-4};
    private static final double[] SUM_STEPS = {1e-3, 1e-5};
    private static final int CANDIDATES = LENGTH_STEPS.length + RELATIVE_STEPS.length + SUM_STEPS.length;

    private GradientCheck() {}

    static boolean close(double expected, double actual) {
        double diff = Math.abs(expected - actual);
        return diff <= ABS || diff <= REL * Math.max(Math.abs(expected), Math.abs(actual));
    }

    /** The loss's outputs on the points, as doubles: per-pair loss, d_w, d_l, margin. */
    static double[][] evaluate(NDManager m, PreferenceLoss loss, Points p) {
        try (NDManager sub = m.newSubManager(); Restore r = new Restore(loss)) {
            LossOutput out = loss.compute(p.toLogps(sub, null, null));
            return new double[][] {doubles(out.perPair()), doubles(out.dW()), doubles(out.dL()), doubles(out.margins())};
        }
    }

    /** {@code -∂(Σ perPair)/∂S_w} and {@code ∂(Σ perPair)/∂S_l} by autograd. */
    static double[][] autograd(NDManager m, PreferenceLoss loss, Points p) {
        try (NDManager sub = m.newSubManager(); Restore r = new Restore(loss)) {
            NDArray sw = sub.create(p.sw);
            NDArray sl = sub.create(p.sl);
            sw.setRequiresGradient(true);
            sl.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray total = loss.compute(p.toLogps(sub, sw, sl)).perPair().sum();
                gc.backward(total);
            }
            // a sum the loss never reads has float32 zeros as its gradient
            return new double[][] {doubles(sw.getGradient().neg()), doubles(sl.getGradient())};
        }
    }

    static double[] doubles(NDArray x) {
        return x.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    /** Per-pair losses with the chosen (which = 0) or rejected sums shifted by {@code t·h}. */
    static double[] shifted(NDManager m, PreferenceLoss loss, Points p, int which, double t, double[] h) {
        double[] sw = p.sw.clone();
        double[] sl = p.sl.clone();
        double[] x = which == 0 ? sw : sl;
        for (int i = 0; i < x.length; i++) {
            x[i] += t * h[i];
        }
        try (NDManager sub = m.newSubManager(); Restore r = new Restore(loss)) {
            return doubles(loss.compute(p.withSums(sw, sl).toLogps(sub, null, null)).perPair());
        }
    }

    /** Step in the sums for candidate {@code k}: per-token-average steps, then relative to |A|, then fixed. */
    static double[] steps(double[] sums, double[] counts, int k) {
        double[] h = new double[sums.length];
        for (int i = 0; i < h.length; i++) {
            if (k < LENGTH_STEPS.length) {
                h[i] = LENGTH_STEPS[k] * counts[i];
            } else if (k < LENGTH_STEPS.length + RELATIVE_STEPS.length) {
                h[i] = RELATIVE_STEPS[k - LENGTH_STEPS.length] * Math.min(1, Math.abs(sums[i] / counts[i])) * counts[i];
            } else {
                h[i] = SUM_STEPS[k - LENGTH_STEPS.length - RELATIVE_STEPS.length];
            }
        }
        return h;
    }

    /**
     * Runs both comparisons and fails with the first offending pair.
     *
     * @param nearKink per-pair margin predicate: true where a hinge kink may be within reach
     *     of the finite-difference stencil
     * @param finiteDifference false where the closed form is by design not the derivative of
     *     the loss value (a detached weight or batch statistic): then only autograd is compared
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
            Difference[] differences = new Difference[CANDIDATES];
            for (int k = 0; k < CANDIDATES; k++) {
                double[] h = steps(which == 0 ? p.sw : p.sl, which == 0 ? p.nw : p.nl, k);
                differences[k] = Difference.of(closed[0], h, which,
                        shifted(m, loss, p, which, 1, h), shifted(m, loss, p, which, -1, h),
                        shifted(m, loss, p, which, 0.5, h), shifted(m, loss, p, which, -0.5, h));
            }
            for (int i = 0; i < p.size(); i++) {
                double expected = closed[1 + which][i];
                boolean oneSided = nearKink.test(closed[3][i]);
                boolean ok = false;
                for (Difference d : differences) {
                    ok |= d.agrees(expected, i, oneSided);
                }
                if (!ok) {
                    StringBuilder found = new StringBuilder();
                    for (Difference d : differences) {
                        found.append(found.length() == 0 ? "[" : ", ").append(d.central[i]);
                    }
                    fail("finite differences " + found + "] != closed form " + expected + " at " + describe(loss, p, i, what));
                }
            }
        }
    }

    /**
     * Checks a batch-dependent loss: autograd of {@code B·L = Σ perPair} equals the closed-form
     * batch gradients {@code d_w,j = -B·∂L/∂S_w,j}, {@code d_l,j = B·∂L/∂S_l,j}, and these equal
     * Richardson central differences of {@code B·L} with one pair's sum moved at a time (or either
     * one-sided difference, for a step that changes the sorting order).
     */
    static void checkBatch(NDManager m, PreferenceLoss loss, Points p) {
        double[][] closed = evaluate(m, loss, p);
        double[][] auto = autograd(m, loss, p);
        double[] base = {total(closed[0])};
        for (int which = 0; which < 2; which++) {
            String what = which == 0 ? "d_w" : "d_l";
            double[] sums = which == 0 ? p.sw : p.sl;
            double[] counts = which == 0 ? p.nw : p.nl;
            for (int j = 0; j < p.size(); j++) {
                double expected = closed[1 + which][j];
                String where = describe(loss, p, j, what);
                assertFinite(expected, where);
                if (!close(expected, auto[which][j])) {
                    fail("autograd " + auto[which][j] + " != closed form " + expected + " at " + where);
                }
                StringBuilder found = new StringBuilder();
                boolean ok = false;
                for (int k = 0; k < CANDIDATES && !ok; k++) {
                    double[] h = {steps(new double[] {sums[j]}, new double[] {counts[j]}, k)[0]};
                    Difference d = Difference.of(base, h, which,
                            new double[] {movedTotal(m, loss, p, which, j, h[0])}, new double[] {movedTotal(m, loss, p, which, j, -h[0])},
                            new double[] {movedTotal(m, loss, p, which, j, h[0] / 2)}, new double[] {movedTotal(m, loss, p, which, j, -h[0] / 2)});
                    ok = d.agrees(expected, 0, true);
                    found.append(found.length() == 0 ? "[" : ", ").append(d.central[0]);
                }
                if (!ok) {
                    fail("batch finite differences " + found + "] != closed form " + expected + " at " + where);
                }
            }
        }
    }

    /** Richardson central and second-order one-sided differences for one step, signed as d_w/d_l, with rounding noise. */
    private record Difference(double[] central, double[] forward, double[] backward, double[] noise) {

        static Difference of(double[] f0, double[] h, int which, double[] fp, double[] fm, double[] fp2, double[] fm2) {
            double sign = which == 0 ? -1 : 1; // d_w = -∂L/∂S_w, d_l = +∂L/∂S_l
            int n = f0.length;
            Difference d = new Difference(new double[n], new double[n], new double[n], new double[n]);
            for (int i = 0; i < n; i++) {
                double d1 = (fp[i] - fm[i]) / (2 * h[i]);
                double d2 = (fp2[i] - fm2[i]) / h[i];
                d.central[i] = sign * (4 * d2 - d1) / 3;
                d.forward[i] = sign * (-3 * f0[i] + 4 * fp2[i] - fp[i]) / h[i];
                d.backward[i] = sign * (3 * f0[i] - 4 * fm2[i] + fm[i]) / h[i];
                double scale = Math.max(Math.abs(f0[i]), Math.max(Math.abs(fp[i]), Math.abs(fm[i])));
                d.noise[i] = 64 * Math.ulp(scale) / h[i];
            }
            return d;
        }

        boolean agrees(double expected, int i, boolean oneSided) {
            return near(expected, central[i], i) || (oneSided && (near(expected, forward[i], i) || near(expected, backward[i], i)));
        }

        private boolean near(double expected, double actual, int i) {
            return close(expected, actual) || Math.abs(expected - actual) <= noise[i];
        }
    }

    /** {@code Σ perPair} with pair {@code j}'s chosen (which = 0) or rejected sum moved by {@code t}. */
    private static double movedTotal(NDManager m, PreferenceLoss loss, Points p, int which, int j, double t) {
        double[] sw = p.sw.clone();
        double[] sl = p.sl.clone();
        (which == 0 ? sw : sl)[j] += t;
        try (NDManager sub = m.newSubManager(); Restore r = new Restore(loss)) {
            return total(doubles(loss.compute(p.withSums(sw, sl).toLogps(sub, null, null)).perPair()));
        }
    }

    private static double total(double[] x) {
        return Arrays.stream(x).sum();
    }

    /** Restores a loss's state (if any) when closed, so every evaluation starts from the same state. */
    static final class Restore implements AutoCloseable {
        private final LossState state;
        private final Map<String, Double> saved;

        Restore(PreferenceLoss loss) {
            this.state = loss.state().orElse(null);
            this.saved = state == null ? null : state.save();
        }

        @Override
        public void close() {
            if (state != null) {
                state.restore(saved);
            }
        }
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
