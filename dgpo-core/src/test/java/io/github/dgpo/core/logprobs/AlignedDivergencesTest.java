package io.github.dgpo.core.logprobs;

import static io.github.dgpo.core.logprobs.SequenceLogprobsTest.assertClose;
import static io.github.dgpo.core.logprobs.SequenceLogprobsTest.takeGradients;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.github.dgpo.core.EngineManagerTest;
import io.github.dgpo.core.model.Architecture;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.model.ModelConfig;
import io.github.dgpo.core.model.ModelInput;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chunked aligned-position divergences against the naive computation on full {@code [N, T,
 * V]} log-softmaxes with autograd: per-pair forward and reverse KL sums over the positions below
 * the shorter completion's length, and the gradient of {@code Σ g_f·KL_f + g_r·KL_r} for every
 * parameter (float32, 1e-5 relative), for chunk sizes 2, 5 and none.
 */
class AlignedDivergencesTest extends EngineManagerTest {

    private static final int V = 41;

    @ParameterizedTest
    @ValueSource(ints = {2, 5, SequenceLogprobs.NO_CHUNKING})
    void chunkedEqualsNaive(int chunk) {
        ModelConfig config = ModelConfig.builder(Architecture.LLAMA).set("vocab_size", V).set("hidden_size", 16).set("intermediate_size", 24)
                .set("num_attention_heads", 2).set("num_key_value_heads", 1).set("initializer_range", 0.4).build();
        Random r = new Random(chunk + 5);
        int pairs = 2;
        int width = 12;
        int[] prompts = {3, 5};
        int[][] lengths = {{4, 6}, {3, 2}};
        long[][] ids = new long[4][width];
        long[][] attention = new long[4][width];
        long[][] completion = new long[4][width];
        for (int c = 0; c < 2; c++) {
            for (int p = 0; p < pairs; p++) {
                int row = c * pairs + p;
                for (int i = 0; i < prompts[p] + lengths[p][c]; i++) {
                    ids[row][i] = 1 + r.nextInt(V - 1);
                    attention[row][i] = 1;
                    completion[row][i] = i >= prompts[p] ? 1 : 0;
                }
            }
        }
        int[][] groups = {{0, 2}, {1, 3}};
        float[] gf = {0.7f, -1.1f};
        float[] gr = {-0.4f, 0.9f};
        try (CausalLm model = CausalLm.random(config, 9, manager)) {
            model.setTrainable(true);
            float[] naiveF = new float[pairs];
            float[] naiveR = new float[pairs];
            try (NDManager m = manager.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray logp = model.logits(model.hiddenStates(m.create(ids), m.create(attention))).logSoftmax(2);
                NDArray total = m.zeros(new ai.djl.ndarray.types.Shape());
                for (int p = 0; p < pairs; p++) {
                    NDArray f = m.zeros(new ai.djl.ndarray.types.Shape());
                    NDArray b = m.zeros(new ai.djl.ndarray.types.Shape());
                    for (int i = 0; i < Math.min(lengths[p][0], lengths[p][1]); i++) {
                        NDArray lw = logp.get(p).get(prompts[p] + i - 1);
                        NDArray ll = logp.get(pairs + p).get(prompts[p] + i - 1);
                        f = f.add(lw.exp().mul(lw.sub(ll)).sum());
                        b = b.add(ll.exp().mul(ll.sub(lw)).sum());
                    }
                    naiveF[p] = f.getFloat();
                    naiveR[p] = b.getFloat();
                    total = total.add(f.mul(m.create(gf[p]))).add(b.mul(m.create(gr[p])));
                }
                gc.backward(total);
            }
            Map<String, float[]> naive = takeGradients(model);
            try (NDManager m = manager.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                SequenceLogprobs.Result res = new SequenceLogprobs(chunk).compute(model, ModelInput.causal(ids, attention),
                        CompletionTargets.fromCompletionMask(ids, completion), m);
                AlignedDivergences kl = res.alignedDivergences(groups);
                assertEquals(4 + 2, kl.positions(), "min(4, 6) + min(3, 2) aligned positions");
                assertClose("forward", naiveF, kl.forward());
                assertClose("reverse", naiveR, kl.reverse());
                kl.backward(gc, gf, gr);
                res.backward(gc, m.zeros(new ai.djl.ndarray.types.Shape(4)));
            }
            Map<String, float[]> chunked = takeGradients(model);
            for (Map.Entry<String, float[]> e : naive.entrySet()) {
                assertClose("gradient of " + e.getKey(), e.getValue(), chunked.get(e.getKey()));
            }
        }
    }
}
