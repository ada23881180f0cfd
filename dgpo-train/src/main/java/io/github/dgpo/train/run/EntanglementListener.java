package io.github.dgpo.train.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.dgpo.data.tokenize.TokenizedPair;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gradient-entanglement probe (DGPO paper Eq. 4-7) every {@code entanglement_steps} updates:
 * before the update, for a few probe pairs, the gradients of {@code S_w} and {@code S_l} (one
 * pair and one sequence at a time), their cosine, norms and inner product, the fraction of pairs
 * where Eq. 6 lets {@code S_w} rise, and Eq. 4-5's first-order predicted changes for the step's
 * learning rate (a gradient step on the pair's own loss); after the update, the observed changes
 * and the first-order changes predicted from the update the optimizer actually made ({@code
 * ⟨∇S, Δθ⟩}), which AdamW's batch steps make differ from Eq. 4-5. Costs two forward and backward
 * passes per pair and keeps {@code 2·pairs + 1} copies of the trainable parameters until the
 * update is seen.
 */
final class EntanglementListener implements TrainingListener {

    private final GradientProbe probe;
    private final List<TokenizedPair> pairs;
    private final int[] keys;
    private final int every;
    private final Map<String, NDArray> parameters;
    private final MetricsFileListener metrics;
    private final NDManager root;
    private int totalSteps;
    private int armedFor = -1;
    private NDManager held;
    private List<GradientProbe.Measurement> before;
    private Map<String, NDArray> snapshot;

    EntanglementListener(GradientProbe probe, List<TokenizedPair> pairs, int[] keys, int every, Map<String, NDArray> parameters, MetricsFileListener metrics,
            NDManager root) {
        this.probe = probe;
        this.pairs = pairs;
        this.keys = keys;
        this.every = every;
        this.parameters = parameters;
        this.metrics = metrics;
        this.root = root;
    }

    @Override
    public void onTrainingBegin(RunContext run) {
        totalSteps = run.totalSteps();
        arm(run.firstStep() + 1);
    }

    @Override
    public void onStepCompleted(int step, boolean last) {
        arm(step + 1);
    }

    /** Measures at the current parameters when the next update is one to probe. */
    private void arm(int next) {
        if (every <= 0 || next > totalSteps || next % every != 0) {
            return;
        }
        held = root.newSubManager();
        before = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) {
            before.add(probe.measure(pairs.get(i), keys[i], held));
        }
        snapshot = new LinkedHashMap<>();
        parameters.forEach((name, p) -> {
            NDArray copy = p.duplicate();
            copy.attach(held);
            snapshot.put(name, copy);
        });
        armedFor = next;
    }

    @Override
    public void onStepEnd(StepRecord step) {
        if (step.step() != armedFor) {
            return;
        }
        try {
            Map<String, NDArray> delta = new LinkedHashMap<>();
            parameters.forEach((name, p) -> {
                NDArray d = p.sub(snapshot.get(name));
                d.attach(held);
                delta.put(name, d);
            });
            int n = before.size();
            double[] sums = new double[12];
            int holds = 0;
            for (int i = 0; i < n; i++) {
                GradientProbe.Measurement m = before.get(i);
                double[] after = probe.sums(pairs.get(i), keys[i], held);
                sums[0] += m.cosine();
                sums[1] += Math.sqrt(m.normW2());
                sums[2] += Math.sqrt(m.normL2());
                sums[3] += m.inner();
                sums[4] += m.predictedChosen(step.learningRate());
                sums[5] += m.predictedRejected(step.learningRate());
                sums[6] += GradientProbe.dot(m.gradW(), delta);
                sums[7] += GradientProbe.dot(m.gradL(), delta);
                sums[8] += after[0] - m.sw();
                sums[9] += after[1] - m.sl();
                sums[10] += m.dw();
                sums[11] += m.dl();
                holds += m.chosenCanRise() ? 1 : 0;
            }
            String[] names = {"cos", "norm_w", "norm_l", "inner", "predicted_dlogp_w", "predicted_dlogp_l", "update_dlogp_w", "update_dlogp_l",
                "observed_dlogp_w", "observed_dlogp_l", "d_w", "d_l"};
            Map<String, Object> line = new LinkedHashMap<>();
            for (int k = 0; k < names.length; k++) {
                line.put("entanglement/" + names[k], sums[k] / n);
            }
            line.put("entanglement/condition_holds", holds / (double) n);
            line.put("entanglement/learning_rate", step.learningRate());
            line.put("entanglement/pairs", n);
            metrics.writeLine(step.step(), line);
        } finally {
            held.close();
            held = null;
            armedFor = -1;
        }
    }
}
