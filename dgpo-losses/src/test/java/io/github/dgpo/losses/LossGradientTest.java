package io.github.dgpo.losses;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dgpo.core.EngineManagerTest;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.DoublePredicate;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * For every loss and variant: autograd through the DJL engine equals the closed-form {@code
 * d_w}/{@code d_l}, and the closed form equals a central finite difference of the loss, in
 * float64, at 150 random points of the spec's domain (per-token averages in [-20, -1e-9],
 * lengths 1 to 4096, |z| up to 50) and at the edge cases. Hyperparameters are set to distinct
 * values other than 1 where a loss has several, so that swapping two of them fails. The
 * batch-dependent AOT losses are checked in their batch form ({@link GradientCheck#checkBatch}).
 */
class LossGradientTest extends EngineManagerTest {

    /** KTO's mismatched sums shifted above the reference, so the estimated z0 is positive (about 1.5). */
    private static final UnaryOperator<Points> POSITIVE_Z0 = p -> {
        double[] mis = new double[p.size()];
        for (int i = 0; i < mis.length; i++) {
            mis[i] = p.misRef[i] + 0.5 + i % 3;
        }
        return p.withMismatched(mis, p.misRef);
    };

    private static Arguments of(String name, Map<String, ?> params) {
        return of(name, params, z -> false, true);
    }

    private static Arguments of(String name, Map<String, ?> params, DoublePredicate nearKink, boolean finiteDifference) {
        return Arguments.of(name, params, nearKink, finiteDifference, UnaryOperator.<Points>identity());
    }

    static Stream<Arguments> cases() {
        DoublePredicate none = z -> false;
        return Stream.of(
                of("dgpo", Map.of()),
                of("dgpo", Map.of("reduction", "sum")),
                of("dgpo", Map.of("detach_weight", true), none, false),
                of("dgpo", Map.of("reduction", "sum", "detach_weight", true), none, false),
                of("dpo", Map.of()),
                of("dpo", Map.of("label_smoothing", 0.2)),
                of("dpo", Map.of("reference_free", true, "beta", 0.1)),
                of("dpo", Map.of("f_divergence_type", "forward_kl", "beta", 0.1)),
                of("dpo", Map.of("f_divergence_type", "js_divergence", "label_smoothing", 0.2)),
                of("dpo", Map.of("f_divergence_type", "alpha_divergence", "f_alpha_divergence_coef", 0.3)),
                of("dpo", Map.of("f_divergence_type", "alpha_divergence", "f_alpha_divergence_coef", 1.7, "beta", 0.2)),
                of("ipo", Map.of()),
                of("ipo", Map.of("tau", 0.1)),
                of("ipo", Map.of("tau", 0.3, "f_divergence_type", "forward_kl")),
                of("cpo", Map.of()),
                of("cpo", Map.of("beta", 0.03, "alpha", 0.6)),
                of("kto", Map.of()),
                of("kto", Map.of("z0", 0)),
                of("kto", Map.of("z0", 3.5, "lambda_w", 1.33, "lambda_l", 0.5, "beta", 0.02)),
                Arguments.of("kto", Map.of("beta", 0.03, "lambda_w", 0.8, "lambda_l", 1.6), none, true, POSITIVE_Z0),
                of("rrhf", Map.of(), z -> Math.abs(z) < 1e-3, true),
                of("rrhf", Map.of("lambda", 0.35), z -> Math.abs(z) < 1e-3, true),
                of("slic-hf", Map.of(), z -> Math.abs(z - 1) < 1, true),
                of("slic-hf", Map.of("delta", 0.7, "beta", 1.3, "lambda", 0.45), z -> Math.abs(z - 0.7) < 1.3, true),
                of("orpo", Map.of()),
                of("orpo", Map.of("lambda", 0.1)),
                of("simpo", Map.of()),
                of("sft", Map.of()),
                of("hinge", Map.of(), z -> Math.abs(z - 1) < 1, true),
                of("hinge", Map.of("f_divergence_type", "js_divergence"), z -> Math.abs(z - 1) < 1, true),
                of("robust", Map.of()),
                of("robust", Map.of("label_smoothing", 0.3, "beta", 0.05, "f_divergence_type", "forward_kl")),
                of("exo-pair", Map.of()),
                of("exo-pair", Map.of("label_smoothing", 0.3, "beta", 0.05, "f_divergence_type", "alpha_divergence")),
                of("nca-pair", Map.of()),
                of("bco-pair", Map.of()),
                // the running mean includes this batch's rewards but is a constant to the gradient
                of("bco-pair", Map.of("bco_running_mean", true, "beta", 0.05), none, false),
                of("sppo-hard", Map.of()),
                of("sppo-hard", Map.of("beta", 0.1)),
                of("apo-zero", Map.of()),
                of("apo-down", Map.of()),
                of("discopop", Map.of()),
                of("discopop", Map.of("discopop_tau", 0.3, "beta", 0.1, "f_divergence_type", "forward_kl")),
                of("sigmoid-norm", Map.of()),
                of("sigmoid-norm", Map.of("f_divergence_type", "js_divergence", "beta", 2)),
                of("dpo+sft", Map.of("beta", 0.1)),
                of("dpo+bco-pair+sft", Map.of("beta", 0.1)),
                of("dpo", Map.of("use_weighting", true)),
                of("dpo+sft", Map.of("use_weighting", true, "beta", 0.1, "f_divergence_type", "js_divergence")));
    }

    /** {@code a+b+c}: the mixture of those losses with weights 0.8, 0.2, 1 (MPO's) or 1, 1. */
    static PreferenceLoss create(String name, Map<String, ?> params) {
        List<String> names = List.of(name.split("\\+"));
        return PreferenceLosses.create(names, names.size() == 3 ? List.of(0.8, 0.2, 1.0) : null, params);
    }

    @ParameterizedTest(name = "{0} {1} at random points")
    @MethodSource("cases")
    void gradientsAtRandomPoints(String name, Map<String, Object> params, DoublePredicate nearKink, boolean finiteDifference,
            UnaryOperator<Points> points) {
        PreferenceLoss loss = create(name, params);
        Random random = new Random(name.hashCode() * 31L + params.hashCode());
        Points candidates = points.apply(Points.random(random, 20_000));
        double[] z = GradientCheck.evaluate(manager, loss, candidates)[3];
        boolean[] keep = new boolean[z.length];
        int kept = 0;
        for (int i = 0; i < z.length && kept < 150; i++) {
            keep[i] = Math.abs(z[i]) <= 50;
            kept += keep[i] ? 1 : 0;
        }
        assertTrue(kept >= 100, "only " + kept + " points with |z| <= 50");
        GradientCheck.check(manager, loss, points.apply(candidates.select(keep)), nearKink, finiteDifference);
    }

    @ParameterizedTest(name = "{0} {1} at edge cases")
    @MethodSource("cases")
    void gradientsAtEdgeCases(String name, Map<String, Object> params, DoublePredicate nearKink, boolean finiteDifference,
            UnaryOperator<Points> points) {
        GradientCheck.check(manager, create(name, params), points.apply(edges()), nearKink, finiteDifference);
    }

    static Stream<Arguments> batchCases() {
        return Stream.of(
                Arguments.of("aot", Map.of()),
                Arguments.of("aot", Map.of("label_smoothing", 0.15, "beta", 0.03)),
                Arguments.of("aot-unpaired", Map.of()),
                Arguments.of("aot-unpaired", Map.of("label_smoothing", 0.25, "beta", 0.02)));
    }

    @ParameterizedTest(name = "{0} {1} at random points")
    @MethodSource("batchCases")
    void batchGradientsAtRandomPoints(String name, Map<String, Object> params) {
        Points p = Points.random(new Random(name.hashCode() * 31L + params.hashCode()), 150);
        GradientCheck.checkBatch(manager, PreferenceLosses.create(name, params), p);
    }

    /**
     * The edge cases with two-way ties in the sorted values, where the sort's order gives one of the
     * one-sided derivatives. (Of three or more tied values the sort may give one a middle rank, whose
     * derivative no one-sided difference shows; {@link #edges()} has such ties, so it is not used.)
     */
    @ParameterizedTest(name = "{0} {1} at edge cases")
    @MethodSource("batchCases")
    void batchGradientsAtEdgeCases(String name, Map<String, Object> params) {
        Points edges = new Points.Builder()
                .add(-0.5, -1.5, 1, 1, -0.6, -1.4) // n = 1
                .add(-1.2, -1.2, 37, 37, -1.1, -1.1) // chosen identical to rejected: x = 0
                .add(-1.2, -1.2, 1, 1, -1.2, -1.2) // policy = reference too: x = u = v = 0, x tied with the pair above
                .add(-0.3, -0.35, 4096, 4096, -0.31, -0.34) // very long completions
                .add(-20, -19.999, 4096, 4096, -19.998, -19.997) // longest, least likely
                .add(-1e-9, -2, 5, 5, -0.1, -2) // an average of -1e-9; v = 0, tied with the third pair
                .add(-1e-9, -1.5e-9, 1, 1, -2e-9, -1e-9) // both nearly certain
                .add(-1e-9, -20, 4096, 4096, -20, -1e-9) // extreme positive margin
                .add(-20, -1e-9, 4096, 4096, -1e-9, -20) // extreme negative margin
                .add(-0.1, -3, 1, 4096, -0.2, -3.001) // very different lengths
                .build();
        GradientCheck.checkBatch(manager, PreferenceLosses.create(name, params), edges);
    }

    static Points edges() {
        return new Points.Builder()
                .add(-0.5, -1.5, 1, 1, -0.6, -1.4) // n = 1
                .add(-1.2, -1.2, 37, 37, -1.1, -1.1) // chosen identical to rejected
                .add(-1.2, -1.2, 1, 1, -1.2, -1.2) // identical, policy = reference
                .add(-0.3, -0.35, 4096, 4096, -0.31, -0.34) // very long completions
                .add(-20, -20, 4096, 4096, -20, -20) // longest, least likely
                .add(-1e-9, -2, 5, 5, -0.1, -2) // ORPO: average of -1e-9
                .add(-1e-9, -1e-9, 1, 1, -1e-9, -1e-9) // both nearly certain
                .add(-1e-9, -20, 4096, 4096, -20, -1e-9) // extreme positive margin
                .add(-20, -1e-9, 4096, 4096, -1e-9, -20) // extreme negative margin
                .add(-0.1, -3, 1, 4096, -0.1, -3) // very different lengths
                .build();
    }
}
