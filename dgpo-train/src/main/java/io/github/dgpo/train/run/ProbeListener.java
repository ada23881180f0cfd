package io.github.dgpo.train.run;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fixed probe sets scored without gradient, so that what training does to the chosen and
 * rejected log-probabilities is seen on the same pairs every time, not on each step's different
 * batch: a fixed sample of training pairs ({@code probe/...} lines at step 0, every {@code
 * eval_steps} and at the end) and the held-out set (its evaluations). At the end it compares
 * each set's end with its step 0, pair by pair ({@link PairChange}); on the way it warns when
 * the chosen log-probability falls while the margin grows (likelihood displacement).
 */
final class ProbeListener implements TrainingListener {

    private static final Logger LOG = LoggerFactory.getLogger(ProbeListener.class);

    private final Supplier<Evaluation> probe;
    private final int probePairs;
    private final int evalSteps;
    private final double displacementThreshold;
    private final TrainerState state;
    private final MetricsFileListener metrics;
    private final long seed;
    private Evaluation.PairValues lastProbe;
    private Evaluation.PairValues lastEval;
    private final List<PairChange> finding = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();

    /**
     * Creates the listener.
     *
     * @param probe scores the training probe pairs
     * @param probePairs how many there are (0: no training probes)
     * @param evalSteps how often to score them
     * @param displacementThreshold the fall of the chosen per-token average, from step 0, that is warned about
     * @param state the trainer state, which keeps the step-0 values across resumes
     * @param metrics where the probe lines go
     * @param seed the bootstrap's seed
     */
    ProbeListener(Supplier<Evaluation> probe, int probePairs, int evalSteps, double displacementThreshold, TrainerState state, MetricsFileListener metrics,
            long seed) {
        this.probe = probe;
        this.probePairs = probePairs;
        this.evalSteps = evalSteps;
        this.displacementThreshold = displacementThreshold;
        this.state = state;
        this.metrics = metrics;
        this.seed = seed;
    }

    @Override
    public void onTrainingBegin(RunContext run) {
        if (run.firstStep() == 0) {
            scoreProbes(0);
        }
    }

    @Override
    public void onEvaluation(int step, Evaluation evaluation) {
        if (evaluation.perPair() == null) {
            return;
        }
        lastEval = evaluation.perPair();
        observe("eval", "held-out", step, lastEval);
    }

    @Override
    public void onStepCompleted(int step, boolean last) {
        if (last || (evalSteps > 0 && step % evalSteps == 0)) {
            scoreProbes(step);
        }
    }

    private void scoreProbes(int step) {
        if (probePairs == 0) {
            return;
        }
        Evaluation e = probe.get();
        lastProbe = e.perPair();
        Map<String, Object> line = new LinkedHashMap<>();
        e.metrics().forEach((k, v) -> {
            if (k.startsWith("logps") || k.equals("rewards/margins") || k.equals("rewards/accuracies")) {
                line.put("probe/" + k, v);
            }
        });
        line.put("probe/pairs", e.count());
        metrics.writeLine(step, line);
        observe("probe", "training probe", step, lastProbe);
    }

    /** Keeps the step-0 values; later, warns when the chosen average falls while the margin grows. */
    private void observe(String set, String label, int step, Evaluation.PairValues now) {
        Map<String, double[]> base = state.probeBaseline.get(set);
        if (step == 0 && base == null) {
            Map<String, double[]> b = new LinkedHashMap<>();
            b.put("chosen", now.chosenAverage().clone());
            b.put("rejected", now.rejectedAverage().clone());
            b.put("margins", now.margins().clone());
            state.probeBaseline.put(set, b);
            return;
        }
        if (base == null || base.get("chosen").length != now.chosenAverage().length) {
            return;
        }
        double fall = mean(base.get("chosen")) - mean(now.chosenAverage());
        double marginGain = mean(now.margins()) - mean(base.get("margins"));
        if (fall > displacementThreshold && marginGain > 0) {
            String warning = String.format(java.util.Locale.ROOT, "likelihood displacement at step %d: on the %s pairs the chosen per-token log-probability fell by"
                    + " %.4f since step 0 (%.4f -> %.4f) while the reward margin grew by %.4f", step, label, fall, mean(base.get("chosen")), mean(now.chosenAverage()),
                    marginGain);
            warnings.add(warning);
            LOG.warn(warning);
        }
    }

    @Override
    public void onTrainingEnd(RunContext run) {
        finding.clear();
        compare("probe", false, lastProbe);
        compare("eval", true, lastEval);
        for (PairChange c : finding) {
            LOG.info("finding: {}", c.sentence());
        }
    }

    private void compare(String set, boolean heldOut, Evaluation.PairValues end) {
        Map<String, double[]> base = state.probeBaseline.get(set);
        if (end == null || base == null || base.get("chosen").length != end.chosenAverage().length) {
            return;
        }
        finding.add(PairChange.of(PairChange.perTokenLogp("chosen", heldOut), base.get("chosen"), end.chosenAverage(), seed));
        finding.add(PairChange.of(PairChange.perTokenLogp("rejected", heldOut), base.get("rejected"), end.rejectedAverage(), seed));
    }

    /** @return the likelihood-displacement warnings given so far */
    List<String> warnings() {
        return List.copyOf(warnings);
    }

    /** @return the end-of-run comparisons: training probes' chosen and rejected, then held-out's */
    List<PairChange> finding() {
        return List.copyOf(finding);
    }

    private static double mean(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return s / x.length;
    }
}
