package io.github.dgpo.data.batch;

import static io.github.dgpo.core.FloatAssertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.github.dgpo.core.EngineManagerTest;
import io.github.dgpo.core.logprobs.SequenceLogprobs;
import io.github.dgpo.core.model.Architecture;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.model.ModelConfig;
import io.github.dgpo.data.tokenize.TokenizedPair;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A pair laid out as one row {@code [prompt | chosen | rejected]} gives every sequence the same
 * log-probability sum, and every parameter the same gradient, as the two rows {@code [prompt |
 * chosen]}, {@code [prompt | rejected]}: all four architectures (Mistral with a sliding window
 * shorter than the prompts, so the window must count positions, not row indices), padding,
 * single-token completions, chunked and unchunked heads; float32, relative 1e-5.
 */
class SharedPromptEquivalenceTest extends EngineManagerTest {

    private static final int V = 97;

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (Architecture a : Architecture.values()) {
            for (int chunk : new int[] {5, SequenceLogprobs.NO_CHUNKING}) {
                b.add(Arguments.of(a, chunk));
            }
        }
        return b.build();
    }

    private static ModelConfig config(Architecture a) {
        ModelConfig.Builder b = ModelConfig.builder(a).set("vocab_size", V).set("hidden_size", 24).set("intermediate_size", 40)
                .set("num_attention_heads", 4).set("num_key_value_heads", 2).set("initializer_range", 0.3);
        return switch (a) {
            case LLAMA -> b.set("tie_word_embeddings", true).build();
            case MISTRAL -> b.set("sliding_window", 4).build();
            case QWEN2 -> b.build();
            case QWEN3 -> b.set("head_dim", 10).build();
        };
    }

    /** Prompts of 9, 3 and 6 tokens; completions of 1 and 5, 4 and 1, 6 and 2 tokens. */
    private static List<TokenizedPair> pairs(Random r) {
        int[][] lengths = {{9, 1, 5}, {3, 4, 1}, {6, 6, 2}};
        List<TokenizedPair> out = new ArrayList<>();
        for (int[] l : lengths) {
            out.add(new TokenizedPair(random(r, l[0]), random(r, l[1]), random(r, l[2]), false, null));
        }
        return out;
    }

    private static long[] random(Random r, int n) {
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = 1 + r.nextInt(V - 1);
        }
        return ids;
    }

    @ParameterizedTest(name = "{0} chunk {1}")
    @MethodSource("cases")
    void sharedPromptEqualsTwoRows(Architecture arch, int chunk) {
        Random r = new Random(17 + arch.ordinal());
        List<TokenizedPair> pairs = pairs(r);
        float[] w = {0.9f, -1.1f, 0.3f, 1.7f, -0.6f, 0.8f};
        try (CausalLm model = CausalLm.random(config(arch), 5, manager)) {
            model.setTrainable(true);
            float[][] separate = run(model, RowLayout.separate(0).pairs(pairs), chunk, w);
            Map<String, float[]> separateGrads = takeGradients(model);
            float[][] shared = run(model, RowLayout.sharedPrompt(0).pairs(pairs), chunk, w);
            Map<String, float[]> sharedGrads = takeGradients(model);
            assertClose(arch + " sums", separate[0], shared[0], 1e-5);
            assertArrayEquals(separate[1], shared[1], "counts");
            for (Map.Entry<String, float[]> e : separateGrads.entrySet()) {
                assertClose(arch + " gradient of " + e.getKey(), e.getValue(), sharedGrads.get(e.getKey()), 1e-5);
            }
        }
    }

    /** {sums, counts} of a batch, with the gradient of {@code Σ w·sums} left on the parameters. */
    private static float[][] run(CausalLm model, PackedBatch batch, int chunk, float[] w) {
        try (NDManager m = manager.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            SequenceLogprobs.Result result = new SequenceLogprobs(chunk).compute(model, batch.input(), batch.targets(), m);
            result.backward(gc, m.create(w));
            return new float[][] {result.sums(), result.counts()};
        }
    }

    private static Map<String, float[]> takeGradients(CausalLm model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
            NDArray g = e.getValue().getGradient();
            out.put(e.getKey(), g.toFloatArray());
            g.subi(g);
        }
        return out;
    }
}
