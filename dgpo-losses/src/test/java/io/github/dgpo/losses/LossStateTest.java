package io.github.dgpo.losses;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.dgpo.core.EngineManagerTest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** BCO's running mean of rewards: its values, and saving and restoring it exactly. */
class LossStateTest extends EngineManagerTest {

    /** Two pairs with log-ratios (r_w, r_l) = (2, -4) and (6, 0): β = 0.5 gives the batch mean reward (1 - 2 + 3 + 0)/4 = 0.5. */
    private static final Points FIRST = new Points(new double[] {-10, -20}, new double[] {-30, -40}, new double[] {2, 3}, new double[] {4, 5},
            new double[] {-12, -26}, new double[] {-26, -40}, null, null);
    /** Log-ratios (4, 2) and (-2, 4): mean reward (2 + 1 - 1 + 2)/4 = 1. */
    private static final Points SECOND = new Points(new double[] {-10, -20}, new double[] {-30, -40}, new double[] {2, 3}, new double[] {4, 5},
            new double[] {-14, -18}, new double[] {-32, -44}, null, null);

    private static LossOutput run(PreferenceLoss loss, Points p) {
        try (NDManager m = manager.newSubManager()) {
            LossOutput out = loss.compute(p.toLogps(m, null, null));
            // copy out of the sub-manager
            return new LossOutput(manager.create(out.perPair().toDoubleArray()), manager.create(out.loss().getDouble()),
                    manager.create(out.margins().toDoubleArray()), manager.create(out.dW().toDoubleArray()), manager.create(out.dL().toDoubleArray()),
                    out.metrics());
        }
    }

    /** {@code -log σ(u_w - δ) - log σ(δ - u_l) = log(1 + e^{δ - u_w}) + log(1 + e^{u_l - δ})}. */
    private static double bco(double uw, double ul, double shift) {
        return Math.log1p(Math.exp(shift - uw)) + Math.log1p(Math.exp(ul - shift));
    }

    /**
     * The shift is the running mean of the batch mean rewards, the current batch included: 0.5
     * after the first batch, (0.5 + 1)/2 = 0.75 after the second; the loss is {@code -log σ(u_w - δ)
     * - log σ(δ - u_l)} with it.
     */
    @Test
    void runningMeanShiftsTheRewards() {
        PreferenceLoss loss = PreferenceLosses.create("bco-pair", Map.of("beta", 0.5, "bco_running_mean", true));
        assertTrue(loss.batchDependent());
        LossOutput first = run(loss, FIRST);
        assertEquals(0.5, first.metrics().get("bco/reward_shift"), 1e-15);
        assertEquals(bco(1, -2, 0.5), first.perPair().getDouble(0), 1e-12);
        assertEquals(bco(3, 0, 0.5), first.perPair().getDouble(1), 1e-12);
        // d_w = βσ(-(u_w - δ)), d_l = βσ(u_l - δ)
        assertEquals(0.5 / (1 + Math.exp(1 - 0.5)), first.dW().getDouble(0), 1e-12);
        assertEquals(0.5 / (1 + Math.exp(2 + 0.5)), first.dL().getDouble(0), 1e-12);
        LossOutput second = run(loss, SECOND);
        assertEquals(0.75, second.metrics().get("bco/reward_shift"), 1e-15);
        assertEquals(bco(2, 1, 0.75), second.perPair().getDouble(0), 1e-12);
        assertEquals(Map.of("mean", 0.75, "count", 2.0), loss.state().orElseThrow().save());
    }

    @Test
    void withoutRunningMeanThereIsNoStateAndNoShift() {
        PreferenceLoss loss = PreferenceLosses.create("bco-pair", Map.of("beta", 0.5));
        assertTrue(loss.state().isEmpty());
        assertFalse(loss.batchDependent());
        run(loss, FIRST);
        assertEquals(bco(2, 1, 0), run(loss, SECOND).perPair().getDouble(0), 1e-12);
        assertFalse(run(loss, SECOND).metrics().containsKey("bco/reward_shift"));
    }

    /** A resumed run (state restored into a new loss) and a run with an evaluation in between both continue exactly. */
    @Test
    void restoringTheStateContinuesExactly() {
        Map<String, Object> hp = Map.of("beta", 0.5, "bco_running_mean", true);
        PreferenceLoss straight = PreferenceLosses.create("bco-pair", hp);
        run(straight, FIRST);
        LossOutput expected = run(straight, SECOND);

        PreferenceLoss before = PreferenceLosses.create("bco-pair", hp);
        run(before, FIRST);
        Map<String, Double> checkpoint = before.state().orElseThrow().save();
        PreferenceLoss resumed = PreferenceLosses.create("bco-pair", hp);
        resumed.state().orElseThrow().restore(checkpoint);
        assertEquals(expected.metrics(), run(resumed, SECOND).metrics());

        PreferenceLoss evaluated = PreferenceLosses.create("bco-pair", hp);
        run(evaluated, FIRST);
        LossState state = evaluated.state().orElseThrow();
        Map<String, Double> saved = state.save();
        run(evaluated, SECOND); // an evaluation batch
        run(evaluated, FIRST);
        state.restore(saved);
        LossOutput after = run(evaluated, SECOND);
        assertEquals(expected.metrics(), after.metrics());
        assertEquals(expected.loss().getDouble(), after.loss().getDouble(), 0.0);
    }

    /** Work run through keepingState leaves the running mean as it found it, also when the work fails. */
    @Test
    void keepingStateRestoresItAfterTheWork() {
        PreferenceLoss loss = PreferenceLosses.create("bco-pair", Map.of("beta", 0.5, "bco_running_mean", true));
        run(loss, FIRST);
        double shift = loss.keepingState(() -> run(loss, SECOND).metrics().get("bco/reward_shift"));
        assertEquals(0.75, shift, 1e-15);
        assertEquals(Map.of("mean", 0.5, "count", 1.0), loss.state().orElseThrow().save());
        assertThrows(IllegalStateException.class, () -> loss.keepingState(() -> {
            run(loss, SECOND);
            throw new IllegalStateException("evaluation failed");
        }));
        assertEquals(Map.of("mean", 0.5, "count", 1.0), loss.state().orElseThrow().save());
        PreferenceLoss stateless = PreferenceLosses.create("dpo", Map.of());
        assertEquals("done", stateless.keepingState(() -> "done"));
    }

    @Test
    void mixturesAndWeightingCarryTheTermsState() {
        PreferenceLoss mpo = PreferenceLosses.create(List.of("dpo", "bco-pair", "sft"), List.of(0.8, 0.2, 1.0),
                Map.of("beta", 0.5, "bco_running_mean", true, "use_weighting", true));
        assertTrue(mpo.batchDependent());
        LossState state = mpo.state().orElseThrow();
        assertEquals(Map.of("bco-pair/mean", 0.0, "bco-pair/count", 0.0), state.save());
        state.restore(Map.of("bco-pair/mean", 0.25, "bco-pair/count", 3.0));
        assertEquals(Map.of("bco-pair/mean", 0.25, "bco-pair/count", 3.0), state.save());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> state.restore(Map.of("kto/mean", 1.0)));
        assertEquals("loss state entry 'kto/mean' names no term with state; expected one of [bco-pair]", e.getMessage());
        assertTrue(PreferenceLosses.create(List.of("dpo", "sft"), null, Map.of()).state().isEmpty());
    }

    @Test
    void badSnapshotsAreRefusedByName() {
        LossState state = PreferenceLosses.create("bco-pair", Map.of("bco_running_mean", true)).state().orElseThrow();
        assertEquals("running mean state: missing count",
                assertThrows(IllegalArgumentException.class, () -> state.restore(Map.of("mean", 1.0))).getMessage());
        assertEquals("running mean state: unknown entries [total]; expected mean, count",
                assertThrows(IllegalArgumentException.class, () -> state.restore(Map.of("mean", 1.0, "count", 2.0, "total", 3.0))).getMessage());
        assertEquals("running mean state: mean must be finite and count a whole number >= 0, got mean=NaN, count=2.0",
                assertThrows(IllegalArgumentException.class, () -> state.restore(Map.of("mean", Double.NaN, "count", 2.0))).getMessage());
    }
}
