package io.github.dgpo.train.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe listener on scripted probe scores: step-0 baseline kept in the trainer state, the
 * displacement warning only when the chosen average falls past the threshold while the margin
 * grows, the probe lines, and the paired finding.
 */
class ProbeListenerTest {

    @TempDir
    Path tmp;

    private static Evaluation scores(double[] chosen, double[] rejected, double[] margins) {
        return new Evaluation(Map.of("logps_avg/chosen", avg(chosen), "rewards/margins", avg(margins), "loss", 0.5), "pairs", chosen.length,
                new Evaluation.PairValues(chosen, rejected, chosen, rejected, margins));
    }

    private static double avg(double[] x) {
        return java.util.Arrays.stream(x).average().orElseThrow();
    }

    @Test
    void baselineWarningsLinesAndFinding() throws Exception {
        Deque<Evaluation> script = new ArrayDeque<>(List.of(
                scores(new double[] {-1.0, -1.2, -0.8}, new double[] {-1.5, -1.4, -1.6}, new double[] {0.1, 0.2, 0.0}),
                scores(new double[] {-1.02, -1.21, -0.81}, new double[] {-1.6, -1.5, -1.7}, new double[] {0.3, 0.4, 0.2}),
                scores(new double[] {-1.2, -1.3, -1.0}, new double[] {-2.0, -1.9, -2.1}, new double[] {0.8, 0.9, 0.7}),
                scores(new double[] {-1.3, -1.4, -1.1}, new double[] {-1.5, -1.4, -1.6}, new double[] {0.0, 0.1, -0.1})));
        TrainerState state = new TrainerState();
        ProbeListener probes;
        try (MetricsFileListener metrics = new MetricsFileListener(tmp, 1)) {
            probes = new ProbeListener(script::pop, 3, 10, 0.05, state, metrics, 7);
            TrainingListener.RunContext run = new TrainingListener.RunContext(30, 0, 10);
            metrics.onTrainingBegin(run);
            probes.onTrainingBegin(run);
            assertEquals(List.of(-1.0, -1.2, -0.8), java.util.Arrays.stream(state.probeBaseline.get("probe").get("chosen")).boxed().toList());
            probes.onStepCompleted(5, false);
            assertEquals(3, script.size(), "probes only every eval_steps");
            probes.onStepCompleted(10, false);
            assertTrue(probes.warnings().isEmpty(), "a fall of 0.013 is below the 0.05 threshold");
            probes.onStepCompleted(20, false);
            assertEquals(1, probes.warnings().size(), "fell by 0.167 while the margin grew");
            assertTrue(probes.warnings().get(0).startsWith("likelihood displacement at step 20: on the training probe pairs the chosen per-token log-probability fell by 0.1667"),
                    probes.warnings().get(0));
            probes.onStepCompleted(30, true);
            assertEquals(1, probes.warnings().size(), "a fall without a growing margin is no displacement");
            probes.onTrainingEnd(run);
        }
        List<JsonNode> lines = MetricsLog.read(tmp);
        assertEquals(List.of(0, 10, 20, 30), lines.stream().map(l -> l.get("step").asInt()).toList());
        assertEquals(-1.0, lines.get(0).get("probe/logps_avg/chosen").asDouble(), 1e-12);
        assertTrue(!lines.get(0).has("probe/loss"), "probe lines carry log-probabilities and margins only");
        List<PairChange> finding = probes.finding();
        assertEquals(2, finding.size(), "no held-out set here");
        assertEquals(-0.8 / 3, finding.get(0).meanChange(), 1e-12);
        assertEquals("fell", finding.get(0).verdict());
        assertEquals(0.0, finding.get(1).meanChange(), 1e-12);
        assertEquals("no clear change", finding.get(1).verdict());
    }
}
