package io.github.dgpo.losses;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.github.dgpo.core.EngineManagerTest;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** KTO's reference point and its unpaired form. */
class KtoLossTest extends EngineManagerTest {

    private static KtoLoss kto(Map<String, ?> params) {
        return (KtoLoss) PreferenceLosses.create("kto", params);
    }

    @Test
    void z0IsThePositivePartOfTheMismatchedMeanLogRatio() {
        NDArray mis = manager.create(new double[] {-10, -20, -30});
        NDArray ref = manager.create(new double[] {-12, -21, -30});
        assertEquals(1.0, kto(Map.of()).referencePoint(3, mis, ref), 1e-15); // mean(2, 1, 0)
        assertEquals(0.0, kto(Map.of()).referencePoint(3, ref, mis), 0.0); // mean < 0 -> 0
    }

    @Test
    void batchOfOneUsesZeroAndGivenZ0SkipsMismatchedPasses() {
        assertEquals(0.0, kto(Map.of()).referencePoint(1, null, null));
        assertTrue(kto(Map.of()).inputs().contains(LossInput.MISMATCHED_PAIRS));
        assertTrue(kto(Map.of()).batchDependent());
        assertFalse(kto(Map.of("z0", 0)).inputs().contains(LossInput.MISMATCHED_PAIRS));
        assertFalse(kto(Map.of("z0", 0)).batchDependent());
        assertEquals(0.0, kto(Map.of()).fromSumsOnly().hyperparameters().get("z0"));
        assertEquals(0.0, kto(Map.of("z0", 0)).referencePoint(8, null, null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> kto(Map.of()).referencePoint(4, null, null));
        assertEquals("kto needs mismatched-pair log-probabilities to estimate z0 for a batch of 4; give them or set z0", e.getMessage());
    }

    /** A positive estimated z0 (the mismatched pairs score above the reference) equals the mean and enters the loss. */
    @Test
    void positiveEstimatedZ0EntersTheLoss() {
        Points random = Points.random(new Random(11), 8);
        double[] mis = new double[8];
        for (int i = 0; i < 8; i++) {
            mis[i] = random.misRef[i] + 0.25 * (i % 4) + 0.5; // log-ratios 0.5, 0.75, 1, 1.25: mean 0.875
        }
        Points p = random.withMismatched(mis, random.misRef);
        LossOutput estimated = kto(Map.of("beta", 0.2)).compute(p.toLogps(manager, null, null));
        double z0 = estimated.metrics().get("kl");
        assertEquals(0.875, z0, 1e-12);
        LossOutput given = kto(Map.of("beta", 0.2, "z0", 0.875)).compute(p.toLogps(manager, null, null));
        LossOutput zero = kto(Map.of("beta", 0.2, "z0", 0)).compute(p.toLogps(manager, null, null));
        assertEquals(given.loss().getDouble(), estimated.loss().getDouble(), 1e-15);
        assertTrue(Math.abs(zero.loss().getDouble() - estimated.loss().getDouble()) > 1e-3, "z0 changes the loss");
    }

    /**
     * Unpaired KTO with an estimated, positive z0 (mismatched log-ratios 1, 2, 3: z0 = 2): per example,
     * the closed-form gradient equals autograd and a Richardson central difference of the loss in the
     * example's sum (z0 comes from the mismatched sums, so it is held fixed).
     */
    @Test
    void unpairedGradientsWithEstimatedZ0MatchFiniteDifferences() {
        double[] sums = {-10, -20, -3, -50, -7.5};
        double[] refs = {-12, -18, -4, -45, -7};
        boolean[] good = {true, false, true, false, false};
        double[] mis = {-30, -40, -50};
        double[] misRef = {-31, -42, -53};
        KtoLoss loss = kto(Map.of("beta", 0.3, "lambda_w", 1.4, "lambda_l", 0.6));
        LossOutput out;
        double[] grad;
        try (NDManager m = manager.newSubManager()) {
            NDArray s = m.create(sums);
            s.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                out = loss.computeUnpaired(new UnpairedLogps(s, m.create(refs), m.create(good), m.create(mis), m.create(misRef)));
                gc.backward(out.perPair().sum());
            }
            grad = s.getGradient().toDoubleArray();
            assertEquals(2.0, out.metrics().get("kl"), 1e-12);
            double[] dw = out.dW().toDoubleArray();
            double[] dl = out.dL().toDoubleArray();
            for (int i = 0; i < sums.length; i++) {
                double closed = good[i] ? -dw[i] : dl[i]; // ∂L/∂S
                assertEquals(closed, grad[i], 1e-12, "autograd, example " + i);
                double h = 1e-3;
                double d1 = (unpairedLoss(loss, sums, refs, good, mis, misRef, i, h) - unpairedLoss(loss, sums, refs, good, mis, misRef, i, -h)) / (2 * h);
                double d2 = (unpairedLoss(loss, sums, refs, good, mis, misRef, i, h / 2) - unpairedLoss(loss, sums, refs, good, mis, misRef, i, -h / 2)) / h;
                assertEquals(closed, (4 * d2 - d1) / 3, 1e-9 * Math.max(1e-3, Math.abs(closed)), "finite differences, example " + i);
                assertTrue(Math.abs(closed) > 1e-4, "example " + i + " has a gradient to check");
            }
        }
    }

    private static double unpairedLoss(KtoLoss loss, double[] sums, double[] refs, boolean[] good, double[] mis, double[] misRef, int i, double t) {
        double[] moved = sums.clone();
        moved[i] += t;
        try (NDManager m = manager.newSubManager()) {
            return loss.computeUnpaired(new UnpairedLogps(m.create(moved), m.create(refs), m.create(good), m.create(mis), m.create(misRef)))
                    .perPair().getDouble(i);
        }
    }

    /**
     * The unpaired form on desirable and undesirable examples: its loss is the paired loss's
     * chosen or rejected term, and autograd equals its closed-form gradients.
     */
    @Test
    void unpairedFormMatchesPairedTermsAndItsGradients() {
        double[] sums = {-10, -20, -3, -50};
        double[] refs = {-12, -18, -4, -45};
        boolean[] good = {true, false, true, false};
        KtoLoss loss = kto(Map.of("z0", 0.5, "beta", 0.1, "lambda_w", 1.5, "lambda_l", 0.7));
        try (NDManager m = manager.newSubManager()) {
            NDArray s = m.create(sums);
            s.setRequiresGradient(true);
            LossOutput out;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                out = loss.computeUnpaired(new UnpairedLogps(s, m.create(refs), m.create(good), null, null));
                gc.backward(out.perPair().sum());
            }
            double[] grad = s.getGradient().toDoubleArray();
            double[] dw = out.dW().toDoubleArray();
            double[] dl = out.dL().toDoubleArray();
            double[] per = out.perPair().toDoubleArray();
            for (int i = 0; i < 4; i++) {
                double r = sums[i] - refs[i];
                double expectedLoss = good[i] ? 1.5 * (1 - sig(0.1 * (r - 0.5))) : 0.7 * (1 - sig(0.1 * (0.5 - r)));
                assertEquals(expectedLoss, per[i], 1e-12);
                assertEquals(good[i] ? -grad[i] : grad[i], good[i] ? dw[i] : dl[i], 1e-12);
                assertEquals(0.0, good[i] ? dl[i] : dw[i]);
            }
            assertEquals(2.0, out.metrics().get("count/desirable"));
        }
    }

    private static double sig(double x) {
        return 1 / (1 + Math.exp(-x));
    }
}
