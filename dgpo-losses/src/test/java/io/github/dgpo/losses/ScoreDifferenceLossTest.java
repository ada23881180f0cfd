package io.github.dgpo.losses;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.dgpo.core.EngineManagerTest;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link ScoreDifferenceLoss}'s two margins agree: a reference-free loss ({@code r = S}) gives
 * exactly what its reference-based twin of the same {@code ℓ} gives with the reference sums set
 * to 0, whatever reference sums it is handed; and the target margin γ shifts the margin by exactly
 * γ. Outputs compared: per-pair loss, {@code d_w}, {@code d_l}, margin, on 200 random pairs.
 */
class ScoreDifferenceLossTest extends EngineManagerTest {

    private static Points points;
    private static Points noReference;

    @BeforeAll
    static void open() {
        points = Points.random(new Random(11), 200);
        double[] zeros = new double[points.size()];
        noReference = new Points(points.sw, points.sl, points.nw, points.nl, zeros, zeros, points.mis, points.misRef);
    }

    private static double[][] evaluate(String loss, Map<String, ?> params, Points p) {
        return GradientCheck.evaluate(manager, PreferenceLosses.create(loss, params), p);
    }

    private static void assertSameOutputs(double[][] expected, double[][] actual) {
        String[] names = {"loss", "d_w", "d_l", "margin"};
        for (int k = 0; k < names.length; k++) {
            assertArrayEquals(expected[k], actual[k], 0, names[k]);
        }
    }

    /** SimPO with γ = 0 is {@code sigmoid-norm} at {@code R = 0} (both average, {@code -log σ}). */
    @Test
    void referenceFreeSigmoidIsTheReferenceFormAtZero() {
        double[][] twin = evaluate("sigmoid-norm", Map.of("beta", 2.5), noReference);
        assertSameOutputs(twin, evaluate("simpo", Map.of("beta", 2.5, "gamma", 0), points));
    }

    /** SLiC-HF with λ = 0 is {@code hinge} at {@code R = 0} (both sum, {@code max(0, 1 - z)}). */
    @Test
    void referenceFreeHingeIsTheReferenceFormAtZero() {
        double[][] twin = evaluate("hinge", Map.of("beta", 0.1), noReference);
        assertSameOutputs(twin, evaluate("slic-hf", Map.of("beta", 0.1, "delta", 1, "lambda", 0), points));
    }

    /**
     * γ = 1 subtracts exactly 1 from SimPO's margin; loss and slope follow the shifted margin:
     * {@code L = -log σ(z) = log(1 + e^{-z})}, {@code d = β σ(-z)/n} on the sums.
     */
    @Test
    void targetMarginShiftsTheMargin() {
        double[][] plain = evaluate("simpo", Map.of("gamma", 0), points);
        double[][] shifted = evaluate("simpo", Map.of("gamma", 1), points);
        for (int i = 0; i < points.size(); i++) {
            double z = shifted[3][i];
            assertEquals(plain[3][i] - 1, z, 1e-12 * Math.max(1, Math.abs(z)), "margin");
            double s = 1 / (1 + Math.exp(z));
            // PyTorch's softplus returns x itself past x = 20: a relative error up to e^-20/20
            assertEquals(Math.log1p(Math.exp(-z)), shifted[0][i], 1e-10 * Math.max(1, shifted[0][i]), "loss");
            assertEquals(2.5 * s / points.nw[i], shifted[1][i], 1e-12 * Math.abs(shifted[1][i]) + 1e-300, "d_w");
            assertEquals(2.5 * s / points.nl[i], shifted[2][i], 1e-12 * Math.abs(shifted[2][i]) + 1e-300, "d_l");
        }
    }
}
