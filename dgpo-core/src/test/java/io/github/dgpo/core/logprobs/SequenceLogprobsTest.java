package io.github.dgpo.core.logprobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.github.dgpo.core.OfflineEngine;
import io.github.dgpo.core.model.Architecture;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.model.ModelConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused, chunked sequence log-probabilities against the naive full {@code logSoftmax} +
 * {@code gather} on tiny random models of each architecture, at odd shapes (T = 47, V = 123)
 * and chunk sizes 1, 7, the whole completion and no chunking: sums, counts and the gradient of
 * every parameter of {@code Σ w_n S_n} (random {@code w}), float32, relative 1e-5.
 */
class SequenceLogprobsTest {

    private static final int T = 47;
    private static final int V = 123;
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
                    assertClose("sums", naiveSums, result.sums().toFloatArray());
                    assertArrayEquals(new float[] {T - 20 , 30 - 5, 12 - 1}, result.counts().toFloatArray());
                    result.backward(gc, m.create(w));
                }
                Map<String, float[]> fused = takeGradients(model);
                for (Map.Entry<String, float[]> e : naiveGrads.entrySet()) {
                    assertClose(arch + " gradient of " + e.getKey(), e.getValue(), fused.get(e.getKey()));
                }
            }
        }
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
