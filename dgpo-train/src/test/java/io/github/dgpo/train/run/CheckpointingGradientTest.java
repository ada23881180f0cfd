package io.github.dgpo.train.run;

import static io.github.dgpo.core.FloatAssertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.github.dgpo.core.EngineManagerTest;
import io.github.dgpo.core.logprobs.SequenceLogprobs;
import io.github.dgpo.core.model.Architecture;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.model.LoraAdapters;
import io.github.dgpo.core.model.LoraConfig;
import io.github.dgpo.core.model.ModelConfig;
import io.github.dgpo.data.batch.PackedBatch;
import io.github.dgpo.data.batch.RowLayout;
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
 * Layer-wise activation checkpointing changes no gradient: for every architecture, a full
 * fine-tune and LoRA (with dropout, whose masks the re-run must draw again), on separate rows and
 * on shared-prompt rows ({@link RowLayout#sharedPrompt}: branches, positions continuing from the
 * prompt, Mistral's sliding window counted on positions), the gradient of every trained parameter
 * of {@code Σ w_s S_s} agrees with and without checkpointing (relative 1e-5), and so do the sums.
 */
class CheckpointingGradientTest extends EngineManagerTest {

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (Architecture a : Architecture.values()) {
            for (boolean lora : new boolean[] {false, true}) {
                for (boolean shared : new boolean[] {false, true}) {
                    b.add(Arguments.of(a, lora, shared));
                }
            }
        }
        return b.build();
    }

    private static ModelConfig config(Architecture a) {
        ModelConfig.Builder b = ModelConfig.builder(a).set("vocab_size", 89).set("hidden_size", 24).set("intermediate_size", 40).set("num_hidden_layers", 3)
                .set("num_attention_heads", 4).set("num_key_value_heads", 2).set("initializer_range", 0.3);
        return switch (a) {
            case LLAMA -> b.set("tie_word_embeddings", true).set("attention_bias", true).set("mlp_bias", true).build();
            case MISTRAL -> b.set("sliding_window", 4).build();
            case QWEN2 -> b.build();
            case QWEN3 -> b.set("head_dim", 10).build();
        };
    }

    @ParameterizedTest(name = "{0} lora={1} sharedPrompt={2}")
    @MethodSource("cases")
    void gradientsAgreeWithAndWithoutCheckpointing(Architecture arch, boolean lora, boolean shared) {
        ModelConfig config = config(arch);
        PackedBatch batch = (shared ? RowLayout.sharedPrompt(0) : RowLayout.separate(0)).pairs(pairs(config.vocabSize()));
        float[] w = new float[batch.targets().sequenceCount()];
        Random r = new Random(3);
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        try (CausalLm base = CausalLm.random(config, 21, manager);
                LoraAdapters adapters = lora ? LoraAdapters.initialise(config, LoraConfig.of(3, 6, 0.2, List.of(LoraConfig.ALL_LINEAR), false), 4, manager) : null) {
            CausalLm model = lora ? base.withAdapters(adapters) : base;
            if (lora) {
                randomise(adapters);
            }
            model.setTrainable(true);
            float[] plainSums = new float[w.length];
            Map<String, float[]> plain = gradients(model, batch, w, plainSums, adapters);
            model.setGradientCheckpointing(true);
            try (NDManager m = manager.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                assertEquals("CheckpointedBody", model.forward(batch.input(), m).getClass().getSimpleName(), "a training pass checkpoints");
            }
            float[] checkpointedSums = new float[w.length];
            Map<String, float[]> checkpointed = gradients(model, batch, w, checkpointedSums, adapters);
            assertClose("sums", plainSums, checkpointedSums);
            assertEquals(plain.keySet(), checkpointed.keySet());
            plain.forEach((name, g) -> {
                if (!(name.endsWith(".bias") && max(g) == 0)) {
                    assertClose(arch + " gradient of " + name, g, checkpointed.get(name));
                }
            });
        }
    }

    private static double max(float[] v) {
        double m = 0;
        for (float x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    private static Map<String, float[]> gradients(CausalLm model, PackedBatch batch, float[] w, float[] sums, LoraAdapters adapters) {
        if (adapters != null) {
            adapters.beginStep(7, 3);
        }
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDManager m = manager.newSubManager()) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                SequenceLogprobs.Result result = new SequenceLogprobs(5).compute(model, batch.input(), batch.targets(), m);
                System.arraycopy(result.sums(), 0, sums, 0, sums.length);
                result.backward(gc, m.create(w));
            }
            for (Map.Entry<String, NDArray> e : model.trainableParameters().entrySet()) {
                NDArray g = e.getValue().getGradient();
                g.attach(m);
                out.put(e.getKey(), g.toFloatArray());
                g.subi(g);
            }
        }
        return out;
    }

    private static void randomise(LoraAdapters adapters) {
        Random r = new Random(9);
        for (LoraAdapters.Module m : adapters.modules().values()) {
            float[] b = new float[Math.toIntExact(m.b().getShape().size())];
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) (r.nextGaussian() * 0.2);
            }
            m.b().set(java.nio.FloatBuffer.wrap(b));
        }
    }

    /** Pairs of several prompt and completion lengths, so rows pad and branches differ. */
    private static List<TokenizedPair> pairs(int vocab) {
        Random r = new Random(1);
        List<TokenizedPair> pairs = new ArrayList<>();
        int[][] lengths = {{5, 6, 3}, {2, 4, 7}, {7, 1, 2}};
        for (int[] l : lengths) {
            pairs.add(new TokenizedPair(ids(r, l[0], vocab), ids(r, l[1], vocab), ids(r, l[2], vocab), false, null));
        }
        return pairs;
    }

    private static long[] ids(Random r, int n, int vocab) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = 1 + r.nextInt(vocab - 1);
        }
        return out;
    }
}
