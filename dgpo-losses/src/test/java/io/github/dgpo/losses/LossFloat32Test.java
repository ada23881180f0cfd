package io.github.dgpo.losses;

import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.dgpo.core.EngineManagerTest;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every loss in float32 (what the trainer computes in) over the spec's domain (2000 random pairs:
 * per-token averages in [-20, -1e-9], lengths 1 to 4096, margins unbounded; and the edge cases):
 * loss, {@code d_w}, {@code d_l} and margin are finite, and equal the float64 values of the same
 * (float32-rounded) inputs within 1e-3 relative, or an absolute allowance: 1e-7 (a {@code 1 - σ(u)}
 * that float32 rounds to 0), 1e-8 for the gradients, and for the loss and margin the rounding of
 * the inputs' magnitude ({@code ulp32(|S_w| + |S_l| + |R_w| + |R_l|)}) times the loss's
 * sensitivity ({@code |d_w| + |d_l|}, or 20 for the margin: β·|Δ| with β ≤ 5 per token). Measured
 * worst relative differences away from those floors: 4e-4 (AOT's quantile differences of sums).
 */
class LossFloat32Test extends EngineManagerTest {

    static Stream<Arguments> cases() {
        Stream<Arguments> named = PreferenceLosses.names().stream().map(n -> Arguments.of(n, Map.of()));
        return Stream.concat(named, Stream.of(
                Arguments.of("dgpo", Map.of("reduction", "sum")),
                Arguments.of("dpo", Map.of("f_divergence_type", "forward_kl")),
                Arguments.of("dpo", Map.of("f_divergence_type", "js_divergence")),
                Arguments.of("dpo", Map.of("f_divergence_type", "alpha_divergence")),
                Arguments.of("dpo", Map.of("f_divergence_type", "alpha_divergence", "f_alpha_divergence_coef", 1.7)),
                Arguments.of("kto", Map.of("z0", 0)),
                Arguments.of("bco-pair", Map.of("bco_running_mean", true)),
                Arguments.of("dpo+bco-pair+sft", Map.of("beta", 0.1)),
                Arguments.of("dpo", Map.of("use_weighting", true))));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void float32IsFiniteAndCloseToFloat64(String name, Map<String, Object> params) {
        PreferenceLoss loss = LossGradientTest.create(name, params);
        Random random = new Random(name.hashCode() * 17L + params.hashCode());
        for (Points p : List.of(rounded(Points.random(random, 2000)), rounded(LossGradientTest.edges()))) {
            double[][] e64 = run(loss, p, DataType.FLOAT64);
            double[][] e32 = run(loss, p, DataType.FLOAT32);
            for (int i = 0; i < p.size(); i++) {
                double inputs = Math.ulp((float) (Math.abs(p.sw[i]) + Math.abs(p.sl[i]) + Math.abs(p.rw[i]) + Math.abs(p.rl[i])));
                double sensitivity = Math.abs(e64[1][i]) + Math.abs(e64[2][i]);
                check(loss, p, i, "loss", e32[0][i], e64[0][i], 1e-7 + 4 * inputs * sensitivity);
                check(loss, p, i, "d_w", e32[1][i], e64[1][i], 1e-8);
                check(loss, p, i, "d_l", e32[2][i], e64[2][i], 1e-8);
                check(loss, p, i, "margin", e32[3][i], e64[3][i], 1e-7 + 20 * inputs);
            }
        }
    }

    /** Finite, and within 1e-3 relative or the given absolute allowance. */
    private static void check(PreferenceLoss loss, Points p, int i, String what, double f32, double f64, double allowance) {
        String where = GradientCheck.describe(loss, p, i, what) + ": float32 " + f32 + ", float64 " + f64;
        if (!Double.isFinite(f32)) {
            fail("not finite in float32 at " + where);
        }
        if (Math.abs(f32 - f64) > 1e-3 * Math.abs(f64) + allowance) {
            fail("float32 differs at " + where);
        }
    }

    private static double[][] run(PreferenceLoss loss, Points p, DataType type) {
        try (NDManager sub = manager.newSubManager(); GradientCheck.Restore r = new GradientCheck.Restore(loss)) {
            LossOutput out = loss.compute(p.toLogps(sub, null, null, type));
            return new double[][] {GradientCheck.doubles(out.perPair()), GradientCheck.doubles(out.dW()), GradientCheck.doubles(out.dL()), GradientCheck.doubles(out.margins())};
        }
    }

    private static Points rounded(Points p) {
        return new Points(f(p.sw), f(p.sl), p.nw, p.nl, f(p.rw), f(p.rl), f(p.mis), f(p.misRef), f(p.alignW), f(p.alignL));
    }

    private static double[] f(double[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) x[i];
        }
        return out;
    }
}
