package io.github.dgpo.losses;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.github.dgpo.core.EngineManagerTest;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The exact divergence-gap loss on given divergences: values from the formula in plain
 * arithmetic, and its reported gradients (with respect to the divergences, and to the sums through
 * the adaptive weight) against float64 autograd, for each {@code kl_terms} and with and without
 * the adaptive weight.
 */
class DgpoKlLossTest extends EngineManagerTest {

    @ParameterizedTest
    @CsvSource({"both,false", "both,true", "forward,false", "reverse,true"})
    void valuesAndGradients(String terms, boolean adaptive) {
        double beta = 1.7;
        double[] sw = {-3.0, -8.0, -1.5};
        double[] sl = {-4.0, -6.0, -2.5};
        double[] nw = {3, 4, 2};
        double[] nl = {2, 5, 3};
        double[] fwd = {0.4, 1.3, 0.05};
        double[] rev = {0.6, 0.9, 0.02};
        PreferenceLoss loss = PreferenceLosses.create("dgpo-kl", Map.of("beta", beta, "kl_terms", terms, "adaptive_weight", adaptive));
        try (NDManager m = manager.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray a = m.create(sw);
            NDArray b = m.create(sl);
            NDArray f = m.create(fwd);
            NDArray r = m.create(rev);
            for (NDArray x : new NDArray[] {a, b, f, r}) {
                x.setRequiresGradient(true);
            }
            LossOutput out = loss.compute(PairLogps.of(a, b, m.create(nw), m.create(nl)).withAlignedKl(f, r));
            gc.backward(out.loss().mul(m.create(3.0)));
            double[] perPair = out.perPair().toDoubleArray();
            double[] ga = a.getGradient().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
            double[] gb = b.getGradient().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
            double[] gf = f.getGradient().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
            double[] gr = r.getGradient().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
            double meanDf = 0;
            for (int i = 0; i < 3; i++) {
                double w = adaptive ? Math.exp(sw[i] / nw[i]) + Math.exp(sl[i] / nl[i]) : 1;
                double gap = terms.equals("forward") ? fwd[i] : terms.equals("reverse") ? -rev[i] : fwd[i] - rev[i];
                double z = beta * w * gap;
                assertEquals(Math.log1p(Math.exp(-z)), perPair[i], 1e-12, "loss of pair " + i);
                double s = 1 / (1 + Math.exp(z));
                assertEquals(-out.dW().toDoubleArray()[i], ga[i], 1e-12, "d_w = -dL/dS_w (autograd)");
                assertEquals(out.dL().toDoubleArray()[i], gb[i], 1e-12, "d_l = dL/dS_l (autograd)");
                assertEquals(adaptive ? s * beta * gap * Math.exp(sw[i] / nw[i]) / nw[i] : 0, out.dW().toDoubleArray()[i], 1e-12);
                assertEquals(terms.equals("reverse") ? 0 : -s * beta * w, gf[i], 1e-12, "dL/dθ_w");
                assertEquals(terms.equals("forward") ? 0 : s * beta * w, gr[i], 1e-12, "dL/dθ_l");
                meanDf += -gf[i] / 3;
            }
            assertEquals(meanDf, out.metrics().get("dgpo-kl/d_forward"), 1e-12);
            assertEquals((fwd[0] + fwd[1] + fwd[2]) / 3, out.metrics().get("dgpo-kl/forward"), 1e-12);
        }
    }

    @org.junit.jupiter.api.Test
    void needsTheDivergencesAndValidatesItsOptions() {
        PreferenceLoss loss = PreferenceLosses.create("dgpo-kl");
        assertTrue(loss.inputs().contains(LossInput.ALIGNED_KL));
        assertEquals(Map.of("beta", 2.5, "kl_terms", "both", "adaptive_weight", false), loss.hyperparameters());
        try (NDManager m = manager.newSubManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> loss.compute(PairLogps.of(m.create(new double[] {-1}), m.create(new double[] {-2}), m.create(new double[] {1}), m.create(new double[] {1}))));
            assertTrue(e.getMessage().contains("ALIGNED_KL"));
        }
        assertEquals("loss 'dgpo-kl': kl_terms must be one of both, forward, reverse, got 'gap'",
                assertThrows(IllegalArgumentException.class, () -> PreferenceLosses.create("dgpo-kl", Map.of("kl_terms", "gap"))).getMessage());
    }
}
