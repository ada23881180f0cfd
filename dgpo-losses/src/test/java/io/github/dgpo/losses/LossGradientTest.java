package io.github.dgpo.losses;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.dgpo.core.OfflineEngine;
import java.util.Map;
import java.util.Random;
import java.util.function.DoublePredicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * For every loss and variant: autograd through the DJL engine equals the closed-form {@code
 * d_w}/{@code d_l}, and the closed form equals a central finite difference of the loss, in
 * float64, at 150 random points of the spec's domain (per-token averages in [-20, -1e-9],
 * lengths 1 to 4096, |z| up to 50) and at the edge cases.
 */
class LossGradientTest {

    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = OfflineEngine.newManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    static Stream<Arguments> cases() {
        DoublePredicate none = z -> false;
        return Stream.of(
                Arguments.of("dgpo", Map.of(), none, true),
                Arguments.of("dgpo", Map.of("reduction", "sum"), none, true),
                Arguments.of("dgpo", Map.of("detach_weight", true), none, false),
                Arguments.of("dgpo", Map.of("reduction", "sum", "detach_weight", true), none, false),
                Arguments.of("dpo", Map.of(), none, true),
                Arguments.of("dpo", Map.of("label_smoothing", 0.2), none, true),
                Arguments.of("dpo", Map.of("reference_free", true, "beta", 0.1), none, true),
                Arguments.of("ipo", Map.of(), none, true),
                Arguments.of("ipo", Map.of("tau", 0.1), none, true),
                Arguments.of("cpo", Map.of(), none, true),
                Arguments.of("kto", Map.of(), none, true),
                Arguments.of("kto", Map.of("z0", 0), none, true),
                Arguments.of("kto", Map.of("z0", 3.5, "lambda_w", 1.33, "lambda_l", 0.5), none, true),
                Arguments.of("rrhf", Map.of(), (DoublePredicate) z -> Math.abs(z) < 1e-3, true),
                Arguments.of("slic-hf", Map.of(), (DoublePredicate) z -> Math.abs(z - 1) < 1, true),
                Arguments.of("orpo", Map.of(), none, true),
                Arguments.of("orpo", Map.of("lambda", 0.1), none, true),
                Arguments.of("simpo", Map.of(), none, true));
    }

    @ParameterizedTest(name = "{0} {1} at random points")
    @MethodSource("cases")
    void gradientsAtRandomPoints(String name, Map<String, Object> params, DoublePredicate nearKink, boolean finiteDifference) {
        PreferenceLoss loss = PreferenceLosses.create(name, params);
        Random random = new Random(name.hashCode() * 31L + params.hashCode());
        Points candidates = Points.random(random, 20_000);
        double[] z = GradientCheck.evaluate(manager, loss, candidates)[3];
        boolean[] keep = new boolean[z.length];
        int kept = 0;
        for (int i = 0; i < z.length && kept < 150; i++) {
            keep[i] = Math.abs(z[i]) <= 50;
            kept += keep[i] ? 1 : 0;
        }
        assertTrue(kept >= 100, "only " + kept + " points with |z| <= 50");
        GradientCheck.check(manager, loss, candidates.select(keep), nearKink, finiteDifference);
    }

    @ParameterizedTest(name = "{0} {1} at edge cases")
    @MethodSource("cases")
    void gradientsAtEdgeCases(String name, Map<String, Object> params, DoublePredicate nearKink, boolean finiteDifference) {
        PreferenceLoss loss = PreferenceLosses.create(name, params);
        Points edges =
                new Points.Builder()
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
        GradientCheck.check(manager, loss, edges, nearKink, finiteDifference);
    }
}
