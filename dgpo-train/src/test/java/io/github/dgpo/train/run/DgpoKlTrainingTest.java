package io.github.dgpo.train.run;

import static io.github.dgpo.train.run.TrainTestSupport.config;
import static io.github.dgpo.train.run.TrainTestSupport.load;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.dgpo.core.NoGradient;
import io.github.dgpo.core.OfflineEngine;
import io.github.dgpo.core.logprobs.SequenceLogprobs;
import io.github.dgpo.core.model.Architecture;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.model.ModelConfig;
import io.github.dgpo.data.batch.RowLayout;
import io.github.dgpo.data.tokenize.TokenizedPair;
import io.github.dgpo.losses.LossOutput;
import io.github.dgpo.losses.PreferenceLoss;
import io.github.dgpo.losses.PreferenceLosses;
import io.github.dgpo.train.score.PairScorer;
import io.github.dgpo.train.score.Reference;
import io.github.dgpo.train.score.ScoredPairs;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exact divergence-gap loss on a tiny model: the gradient the trainer takes (through the
 * chunked aligned divergences, the sums and the body) against central finite differences of the
 * loss in the parameters, and a short training run.
 */
class DgpoKlTrainingTest {

    @TempDir
    Path tmp;

    @Test
    void gradientMatchesFiniteDifferences() {
        ModelConfig config = ModelConfig.builder(Architecture.QWEN3).set("vocab_size", 61).set("hidden_size", 16).set("intermediate_size", 24)
                .set("num_attention_heads", 2).set("num_key_value_heads", 1).set("head_dim", 8).set("initializer_range", 0.3).build();
        List<TokenizedPair> pairs = List.of(
                new TokenizedPair(new long[] {1, 7, 9}, new long[] {13, 17, 2}, new long[] {13, 19, 23, 2}, false, null),
                new TokenizedPair(new long[] {1, 5}, new long[] {29, 2}, new long[] {31, 37, 2}, false, null));
        int[] keys = {0, 1};
        PreferenceLoss loss = PreferenceLosses.create("dgpo-kl", Map.of("beta", 2.0, "adaptive_weight", true));
        try (NDManager root = OfflineEngine.newManager(); CausalLm model = CausalLm.random(config, 4, root)) {
            model.setTrainable(true);
            PairScorer scorer = new PairScorer(model, Reference.NONE, RowLayout.sharedPrompt(0), new SequenceLogprobs(3));
            try (NDManager m = root.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                ScoredPairs scored = scorer.pairs(pairs, keys, loss.inputs(), m);
                LossOutput out = loss.compute(scored.logps(m));
                assertTrue(out.metrics().get("dgpo-kl/forward") > 0 && out.metrics().get("dgpo-kl/reverse") > 0);
                gc.backward(out.loss());
                scored.backward(gc);
            }
            int checked = 0;
            for (String name : List.of("model.layers.0.self_attn.q_proj.weight", "model.layers.1.mlp.down_proj.weight", "model.embed_tokens.weight", "lm_head.weight")) {
                NDArray p = model.parameters().get(name);
                float[] grad = p.getGradient().toFloatArray();
                int best = 0;
                for (int i = 1; i < grad.length; i++) {
                    best = Math.abs(grad[i]) > Math.abs(grad[best]) ? i : best;
                }
                float[] values = p.toFloatArray();
                double h = 1e-2;
                double plus = perturbed(p, values, best, h, scorer, pairs, keys, loss, root);
                double minus = perturbed(p, values, best, -h, scorer, pairs, keys, loss, root);
                double fd = (plus - minus) / (2 * h);
                assertEquals(fd, grad[best], 0.02 * Math.abs(fd) + 1e-5, name + "[" + best + "]: finite differences " + fd + " vs " + grad[best]);
                checked++;
            }
            assertEquals(4, checked);
        }
    }

    private static double perturbed(NDArray p, float[] values, int index, double h, PairScorer scorer, List<TokenizedPair> pairs, int[] keys, PreferenceLoss loss,
            NDManager root) {
        float[] changed = values.clone();
        changed[index] += (float) h;
        p.set(changed);
        try (NoGradient off = NoGradient.enter(); NDManager m = root.newSubManager()) {
            return loss.compute(scorer.pairs(pairs, keys, loss.inputs(), m).logps(m)).loss().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
        } finally {
            p.set(values);
        }
    }

    @Test
    void trainsAndReportsItsDivergences() throws Exception {
        Path run = tmp.resolve("kl");
        new Trainer(load(config(tmp, run.toString(), "loss_type: dgpo-kl", "max_steps: 6", "kl_terms: forward")), Trainer.Mode.FRESH, null).run();
        List<JsonNode> lines = TrainTestSupport.trainingLines(run);
        assertEquals(6, lines.size());
        assertTrue(lines.get(0).get("dgpo-kl/forward").asDouble() > 0);
        assertEquals(0.0, lines.get(0).get("dgpo-kl/d_reverse").asDouble(), 0.0, "forward only: the reverse divergence gets no gradient");
        assertTrue(lines.get(5).get("dgpo-kl/forward").asDouble() > lines.get(0).get("dgpo-kl/forward").asDouble(), "the forward divergence is pushed up");
    }
}
