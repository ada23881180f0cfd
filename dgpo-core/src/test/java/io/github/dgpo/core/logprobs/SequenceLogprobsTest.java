package io.github.dgpo.core.logprobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.github.dgpo.core.EngineManagerTest;
import io.github.dgpo.core.model.Architecture;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.model.ModelConfig;
import io.github.dgpo.core.model.ModelInput;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused, chunked sequence log-probabilities against the naive full {@code logSoftmax} +
 * {@code gather} on tiny random models of each architecture, at odd shapes (T = 47, V = 123)
 * and chunk sizes 1, 7, the whole completion and no chunking: sums, counts and the gradient of
 * every parameter of {@code Σ w_n S_n} (random {@code w}), float32, relative 1e-5.
 */
class SequenceLogprobsTest extends EngineManagerTest {

    private static final int T = 47;
    private static final int V = 123;

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (Architecture a : Architecture.values()) {
            for (int chunk : new int[] {1, 7, 10_000, SequenceLogprobs.NO_CHUNKING}) {
                b.add(Arguments.of(a, chunk));
            }
        }
        return b.build();
    }

    private static ModelConfig config(Architecture a) {
        ModelConfig.Builder b = ModelConfig.builder(a).set("vocab_size", V).set("hidden_size", 24).set("intermediate_size", 40)
                .set("num_attention_heads", 4).set("num_key_value_heads", 2).set("initializer_range", 0.3);
        return switch (a) {
            case LLAMA -> b.set("tie_word_embeddings", true).set("attention_bias", true).build();
            case MISTRAL -> b.set("sliding_window", 9).build();
            case QWEN2 -> b.build();
            case QWEN3 -> b.set("head_dim", 10).build();
        };
    }

    @ParameterizedTest(name = "{0} chunk {1}")
    @MethodSource("cases")
    void fusedEqualsNaive(Architecture arch, int chunk) {
        Random r = new Random(arch.ordinal() * 100 + chunk);
        int n = 3;
        long[][] ids = new long[n][T];
        long[][] attention = new long[n][T];
        long[][] completion = new long[n][T];
        int[] lengths = {T, 30, 12};
        int[] prompts = {20, 5, 1};
        for (int b = 0; b < n; b++) {
            for (int i = 0; i < T; i++) {
                ids[b][i] = i < lengths[b] ? r.nextInt(V) : 0;
                attention[b][i] = i < lengths[b] ? 1 : 0;
                completion[b][i] = i >= prompts[b] && i < lengths[b] ? 1 : 0;
            }
        }
        float[] w = {0.7f, -1.3f, 0.4f};
        try (CausalLm model = CausalLm.random(config(arch), 42, manager)) {
            model.setTrainable(true);
            Map<String, float[]> naiveGrads;
            float[] naiveSums;
            try (NDManager m = manager.newSubManager()) {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray sums = NaiveSequenceLogprobs.sums(model, m.create(ids), m.create(attention), m.create(completion));
                    naiveSums = sums.toFloatArray();
                    gc.backward(sums.mul(m.create(w)).sum());
                }
                naiveGrads = takeGradients(model);
            }
            try (NDManager m = manager.newSubManager()) {
                SequenceLogprobs.Result result;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    result = new SequenceLogprobs(chunk).compute(model, m.create(ids), m.create(attention), m.create(completion));
                    assertClose("sums", naiveSums, result.sums());
                    assertArrayEquals(new float[] {T - 20, 30 - 5, 12 - 1}, result.counts());
                    result.backward(gc, m.create(w));
                }
                Map<String, float[]> fused = takeGradients(model);
                for (Map.Entry<String, float[]> e : naiveGrads.entrySet()) {
                    assertClose(arch + " gradient of " + e.getKey(), e.getValue(), fused.get(e.getKey()));
                }
            }
        }
    }

    /**
     * The one-pass head ({@link SequenceLogprobs#computeFused}) against the two-pass head on a
     * per-pair loss {@code Σ_p c_p·softplus(S_l,p - S_w,p)}: the same sums and the same gradient
     * of every parameter, with chunks of several pairs, a pair longer than a chunk (taking the
     * two-pass path on its own) and no chunking; and the alignment sums against the naive
     * {@code log p - log Σ p²}.
     */
    @ParameterizedTest(name = "{0} chunk {1}")
    @MethodSource("cases")
    void onePassEqualsTwoPass(Architecture arch, int chunk) {
        Random r = new Random(arch.ordinal() * 31 + chunk);
        int pairs = 3;
        int[] prompts = {4, 9, 1};
        int[][] completions = {{3, 5}, {2, 1}, {20, 12}};
        int width = 34;
        long[][] ids = new long[2 * pairs][width];
        long[][] attention = new long[2 * pairs][width];
        long[][] completion = new long[2 * pairs][width];
        for (int c = 0; c < 2; c++) {
            for (int p = 0; p < pairs; p++) {
                int row = c * pairs + p;
                int length = prompts[p] + completions[p][c];
                for (int i = 0; i < length; i++) {
                    ids[row][i] = r.nextInt(V);
                    attention[row][i] = 1;
                    completion[row][i] = i >= prompts[p] ? 1 : 0;
                }
            }
        }
        int[][] groups = {{0, 3}, {1, 4}, {2, 5}};
        float[] c = {0.8f, -1.2f, 0.5f};
        try (CausalLm model = CausalLm.random(config(arch), 11, manager)) {
            model.setTrainable(true);
            ModelInput input = ModelInput.causal(ids, attention);
            CompletionTargets targets = CompletionTargets.fromCompletionMask(ids, completion);
            SequenceLogprobs logprobs = new SequenceLogprobs(chunk).withAlignment();
            float[] twoPassSums;
            float[] twoPassAlignment;
            try (NDManager m = manager.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                SequenceLogprobs.Result res = logprobs.compute(model, input, targets, m);
                twoPassSums = res.sums();
                twoPassAlignment = res.alignment();
                NDArray leaf = m.create(twoPassSums);
                leaf.setRequiresGradient(true);
                gc.backward(pairLoss(leaf, c, groups, new int[] {0, 1, 2}));
                res.backward(gc, leaf.getGradient());
            }
            Map<String, float[]> twoPass = takeGradients(model);
            SequenceLogprobs.Result fused;
            java.util.List<int[]> chunks = new java.util.ArrayList<>();
            try (NDManager m = manager.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                fused = logprobs.computeFused(model, input, targets, groups, (g, sums, aligned) -> {
                    chunks.add(g);
                    return pairLoss(sums, c, groups, g);
                }, gc, m);
            }
            Map<String, float[]> onePass = takeGradients(model);
            assertClose(arch + " sums", twoPassSums, fused.sums());
            assertClose(arch + " alignment", twoPassAlignment, fused.alignment());
            for (Map.Entry<String, float[]> e : twoPass.entrySet()) {
                assertClose(arch + " gradient of " + e.getKey(), e.getValue(), onePass.get(e.getKey()));
            }
            assertTrue(chunk == 1 || chunk == 7 ? chunks.size() == 3 : chunks.size() == 1, "chunks " + chunks.size());
        }
        // alignment sums against the naive per-token computation on the full logits
        try (CausalLm model = CausalLm.random(config(arch), 11, manager); NDManager m = manager.newSubManager()) {
            NDArray logits = model.logits(model.hiddenStates(m.create(ids), m.create(attention)));
            NDArray logp = logits.logSoftmax(2);
            NDArray logSquares = logp.add(logp).exp().sum(new int[] {2}).log();
            float[] lp = logp.toFloatArray();
            float[] ls = logSquares.toFloatArray();
            float[] expected = new float[2 * pairs];
            for (int row = 0; row < 2 * pairs; row++) {
                for (int i = 1; i < width; i++) {
                    if (completion[row][i] != 0) {
                        int at = row * width + i - 1;
                        expected[row] += lp[at * V + (int) ids[row][i]] - ls[at];
                    }
                }
            }
            float[] actual = new SequenceLogprobs(chunk).withAlignment().compute(model, ModelInput.causal(ids, attention),
                    CompletionTargets.fromCompletionMask(ids, completion), m).alignment();
            assertClose(arch + " alignment vs naive", expected, actual);
        }
    }

    /** {@code Σ_{p in chosen groups} c_p·softplus(S_l,p - S_w,p)}. */
    private static NDArray pairLoss(NDArray sums, float[] c, int[][] groups, int[] chosen) {
        NDArray total = null;
        for (int g : chosen) {
            NDArray margin = sums.get(groups[g][1]).sub(sums.get(groups[g][0]));
            NDArray term = ai.djl.nn.Activation.softPlus(margin).mul(sums.getManager().create(c[g]));
            total = total == null ? term : total.add(term);
        }
        return total;
    }

    /** Copies and zeroes every parameter's gradient. */
    static Map<String, float[]> takeGradients(CausalLm model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
            NDArray g = e.getValue().getGradient();
            out.put(e.getKey(), g.toFloatArray());
            g.subi(g);
        }
        return out;
    }

    static void assertClose(String what, float[] expected, float[] actual) {
        double scale = 0;
        double diff = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(scale > 0, what + " is all zeros: the test would prove nothing");
        assertTrue(diff <= 1e-5 * scale, what + ": max difference " + diff + " vs scale " + scale);
    }
}
