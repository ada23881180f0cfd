package io.github.dgpo.losses;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dgpo.core.EngineManagerTest;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Batch loss, metrics and the reference checks of the base type. */
class LossMetricsTest extends EngineManagerTest {

    private static LossOutput run(PreferenceLoss loss, Points p) {
        return loss.compute(p.toLogps(manager, null, null));
    }

    @Test
    void batchLossIsTheMeanOfPerPairLosses() {
        Points p = Points.random(new Random(7), 64);
        for (String name : PreferenceLosses.names()) {
            LossOutput out = run(PreferenceLosses.create(name), p);
            double[] perPair = out.perPair().toDoubleArray();
            double mean = 0;
            for (double v : perPair) {
                mean += v / perPair.length;
            }
            assertEquals(mean, out.loss().getDouble(), 1e-12 * Math.max(1, Math.abs(mean)), name);
            assertEquals(mean, out.metrics().get("loss"), 1e-12 * Math.max(1, Math.abs(mean)), name);
        }
    }

    /**
     * DPO (β = 0.01) on three pairs with log-ratio differences 100, -50 and 10: z = 1, -0.5, 0.1,
     * so the accuracy is 2/3 and the mean margin 0.2; rewards are β times the mean log-ratios.
     */
    @Test
    void metricsHaveTheSpecsMeaning() {
        Points p = new Points(
                new double[] {-100, -200, -30}, new double[] {-300, -100, -50}, new double[] {10, 20, 30}, new double[] {30, 10, 50},
                new double[] {-150, -190, -35}, new double[] {-250, -140, -45}, null, null);
        LossOutput out = run(PreferenceLosses.create("dpo"), p);
        Map<String, Double> m = out.metrics();
        assertEquals(2.0 / 3, m.get("rewards/accuracies"), 1e-15);
        assertEquals((1 - 0.5 + 0.1) / 3, m.get("rewards/margins"), 1e-12);
        assertEquals((-100 - 200 - 30) / 3.0, m.get("logps/chosen"), 1e-12);
        assertEquals((-300 - 100 - 50) / 3.0, m.get("logps/rejected"), 1e-12);
        assertEquals((-10 - 10 - 1) / 3.0, m.get("logps_avg/chosen"), 1e-12);
        assertEquals((-10 - 10 - 1) / 3.0, m.get("logps_avg/rejected"), 1e-12);
        assertEquals(0.01 * (50 - 10 + 5) / 3, m.get("rewards/chosen"), 1e-12);
        assertEquals(0.01 * (-50 + 40 - 5) / 3, m.get("rewards/rejected"), 1e-12);
        double[] dw = out.dW().toDoubleArray();
        double[] dl = out.dL().toDoubleArray();
        double meanDw = (dw[0] + dw[1] + dw[2]) / 3;
        double meanDl = (dl[0] + dl[1] + dl[2]) / 3;
        assertEquals(meanDw, m.get("d_w"), 1e-15);
        assertEquals(meanDl, m.get("d_l"), 1e-15);
        assertEquals(meanDw / meanDl, m.get("d_w/d_l"), 1e-12);
        assertEquals(1.0, m.get("d_w/d_l"), 1e-12, "DPO's d_w/d_l is 1");
    }

    @Test
    void ratioIsNaNWhenNoRejectedGradient() {
        // SLiC-HF with every margin above δ: d_l = 0 everywhere.
        Points p = new Points(new double[] {-1}, new double[] {-30}, new double[] {2}, new double[] {3}, new double[] {0}, new double[] {0}, null, null);
        assertTrue(Double.isNaN(run(PreferenceLosses.create("slic-hf"), p).metrics().get("d_w/d_l")));
    }

    @Test
    void referenceFreeDpoEqualsDpoWithZeroReference() {
        Points p = Points.random(new Random(3), 16);
        Points zeroRef = new Points(p.sw, p.sl, p.nw, p.nl, new double[16], new double[16], null, null);
        double[] free = run(PreferenceLosses.create("dpo", Map.of("reference_free", true)), p).perPair().toDoubleArray();
        double[] zero = run(PreferenceLosses.create("dpo"), zeroRef).perPair().toDoubleArray();
        for (int i = 0; i < 16; i++) {
            assertEquals(zero[i], free[i], 1e-12);
        }
    }

    @Test
    void missingReferenceIsAClearError() {
        PairLogps noRef = PairLogps.of(manager.create(new double[] {-1}), manager.create(new double[] {-2}), manager.create(new double[] {1}), manager.create(new double[] {1}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PreferenceLosses.create("ipo").compute(noRef));
        assertEquals("loss 'ipo' needs reference log-probabilities (ref_chosen_logp_sum, ref_rejected_logp_sum)", e.getMessage());
    }

    @Test
    void dgpoReportsWeightUnderflowOnSums() {
        Points p = new Points(
                new double[] {-120, -200, -0.5}, new double[] {-150, -210, -0.9}, new double[] {100, 100, 1}, new double[] {100, 100, 1},
                new double[3], new double[3], null, null);
        assertEquals(2.0 / 3, run(PreferenceLosses.create("dgpo", Map.of("reduction", "sum")), p).metrics().get("dgpo/weight_underflow"), 1e-15);
        assertEquals(0.0, run(PreferenceLosses.create("dgpo"), p).metrics().get("dgpo/weight_underflow"));
        LossOutput sum = run(PreferenceLosses.create("dgpo", Map.of("reduction", "sum")), p);
        assertEquals(0.0, sum.dW().getDouble(0), 1e-40, "underflowed weight: no gradient");
    }

    @Test
    void dgpoExposesThePapersRatioSeparately() {
        Points p = new Points(new double[] {-0.5}, new double[] {-1}, new double[] {1}, new double[] {1}, new double[1], new double[1], null, null);
        Map<String, Double> m = run(PreferenceLosses.create("dgpo"), p).metrics();
        assertEquals(1.1065306597126334, m.get("dgpo/paper_ratio_eq13"), 1e-12);
        assertEquals(0.7291897490116398 / 0.45113405513079036, m.get("d_w/d_l"), 1e-12);
    }
}
