package io.github.dgpo.train.run;

import static io.github.dgpo.train.run.TrainTestSupport.config;
import static io.github.dgpo.train.run.TrainTestSupport.load;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.dgpo.core.OfflineEngine;
import io.github.dgpo.core.logprobs.SequenceLogprobs;
import io.github.dgpo.core.model.Architecture;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.model.ModelConfig;
import io.github.dgpo.data.batch.RowLayout;
import io.github.dgpo.data.tokenize.TokenizedPair;
import io.github.dgpo.losses.PreferenceLosses;
import io.github.dgpo.train.score.PairScorer;
import io.github.dgpo.train.score.Reference;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The entanglement probe's Eq. 4-5: after a plain gradient step of size η on one pair's loss,
 * the observed changes of {@code S_w} and {@code S_l} equal the predicted ones to first order
 * (the relative error shrinks with η); and in training, the change predicted from the update
 * AdamW made matches the observed one at a small learning rate.
 */
class GradientProbeTest {

    @TempDir
    Path tmp;

    @Test
    void equations4And5PredictAGradientStepToFirstOrder() {
        ModelConfig config = ModelConfig.builder(Architecture.QWEN3).set("vocab_size", 61).set("hidden_size", 16).set("intermediate_size", 24)
                .set("num_attention_heads", 2).set("num_key_value_heads", 1).set("head_dim", 8).set("initializer_range", 0.2).build();
        TokenizedPair pair = new TokenizedPair(new long[] {1, 7, 9, 11}, new long[] {13, 17, 2}, new long[] {13, 19, 23, 2}, false, null);
        double[] errors = new double[2];
        double[] etas = {1e-2, 1e-3};
        try (NDManager root = OfflineEngine.newManager(); CausalLm model = CausalLm.random(config, 3, root)) {
            model.setTrainable(true);
            Map<String, NDArray> params = model.parameters();
            PairScorer scorer = new PairScorer(model, Reference.NONE, RowLayout.sharedPrompt(0), new SequenceLogprobs(2));
            GradientProbe probe = new GradientProbe(scorer, PreferenceLosses.create("dgpo", Map.of("beta", 2.0)), params);
            for (int k = 0; k < etas.length; k++) {
                double eta = etas[k];
                try (NDManager m = root.newSubManager()) {
                    Map<String, float[]> saved = new java.util.LinkedHashMap<>();
                    params.forEach((n, p) -> saved.put(n, p.toFloatArray()));
                    GradientProbe.Measurement before = probe.measure(pair, 0, m);
                    assertTrue(before.normW2() > 0 && before.normL2() > 0 && Math.abs(before.cosine()) <= 1 + 1e-9);
                    assertTrue(before.dw() > 0 && before.dl() > 0, "DGPO pushes S_w up and S_l down");
                    // θ <- θ - η∇L with ∇L = -d_w ∇S_w + d_l ∇S_l
                    params.forEach((n, p) -> {
                        NDArray step = before.gradW().get(n).mul(-before.dw()).add(before.gradL().get(n).mul(before.dl())).mul(eta);
                        p.subi(step);
                        step.close();
                    });
                    double[] after = probe.sums(pair, 0, m);
                    double observedW = after[0] - before.sw();
                    double observedL = after[1] - before.sl();
                    assertEquals(before.predictedChosen(eta), observedW, 0.05 * Math.abs(before.predictedChosen(eta)) + 1e-6, "Eq. 4 at eta " + eta);
                    assertEquals(before.predictedRejected(eta), observedL, 0.05 * Math.abs(before.predictedRejected(eta)) + 1e-6, "Eq. 5 at eta " + eta);
                    errors[k] = Math.abs(observedW - before.predictedChosen(eta)) / Math.abs(before.predictedChosen(eta));
                    params.forEach((n, p) -> p.set(saved.get(n)));
                }
            }
        }
        assertTrue(errors[1] < errors[0] / 4, "first order: the relative error falls with eta (" + errors[0] + " -> " + errors[1] + ")");
    }

    @Test
    void trainingLogsTheProbeAndTheUpdatePredictsTheObservedChange() throws Exception {
        Path run = tmp.resolve("entangled");
        new Trainer(load(config(tmp, run.toString(), "loss_type: dgpo", "max_steps: 4", "entanglement_steps: 2", "entanglement_pairs: 3", "learning_rate: 1.0e-5")),
                Trainer.Mode.FRESH, null).run();
        List<JsonNode> lines = MetricsLog.read(run).stream().filter(l -> l.has("entanglement/pairs")).toList();
        assertEquals(List.of(2, 4), lines.stream().map(l -> l.get("step").asInt()).toList());
        for (JsonNode l : lines) {
            assertEquals(3, l.get("entanglement/pairs").asInt());
            double observed = l.get("entanglement/observed_dlogp_w").asDouble();
            double update = l.get("entanglement/update_dlogp_w").asDouble();
            assertTrue(Math.abs(observed) > 0, "the step changed S_w");
            assertEquals(update, observed, 0.1 * Math.abs(update), "first order in the update AdamW made");
            assertEquals(l.get("entanglement/update_dlogp_l").asDouble(), l.get("entanglement/observed_dlogp_l").asDouble(),
                    0.1 * Math.abs(l.get("entanglement/update_dlogp_l").asDouble()));
            double cos = l.get("entanglement/cos").asDouble();
            assertTrue(cos > -1 && cos < 1);
            double holds = l.get("entanglement/condition_holds").asDouble();
            assertTrue(holds >= 0 && holds <= 1);
        }
    }
}
