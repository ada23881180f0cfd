package io.github.dgpo.core.model;

import static io.github.dgpo.core.FloatAssertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.core.EngineManagerTest;
import io.github.dgpo.core.NoGradient;
import io.github.dgpo.core.TestResources;
import io.github.dgpo.core.logprobs.CompletionTargets;
import io.github.dgpo.core.logprobs.SequenceLogprobs;
import io.github.dgpo.core.safetensors.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * LoRA adapters: adapters written by PEFT load and give PEFT's logits; an adapter's gradients
 * are the chain rule through the same low-rank update merged into a full model; a fresh adapter
 * leaves the model exactly as it was; the PEFT folder round-trips exactly; merging equals the
 * adapted model; dropout is seeded by step and pass.
 */
class LoraTest extends EngineManagerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    static ModelConfig tiny(Architecture a) {
        ModelConfig.Builder b = ModelConfig.builder(a).set("vocab_size", 61).set("hidden_size", 24).set("intermediate_size", 40).set("num_hidden_layers", 2)
                .set("num_attention_heads", 4).set("num_key_value_heads", 2).set("initializer_range", 0.3);
        return switch (a) {
            case LLAMA -> b.set("tie_word_embeddings", true).set("attention_bias", true).build();
            case MISTRAL -> b.set("sliding_window", 5).build();
            case QWEN2 -> b.build();
            case QWEN3 -> b.set("head_dim", 10).build();
        };
    }

    /** Adapters with random, non-zero B (a fresh adapter's B is zero, which would hide A's gradient). */
    static LoraAdapters randomAdapters(ModelConfig config, LoraConfig lora, long seed, NDManager manager) {
        LoraAdapters adapters = LoraAdapters.initialise(config, lora, seed, manager);
        Random r = new Random(seed + 1);
        for (LoraAdapters.Module m : adapters.modules().values()) {
            float[] b = new float[Math.toIntExact(m.b().getShape().size())];
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) (r.nextGaussian() * 0.1);
            }
            m.b().set(java.nio.FloatBuffer.wrap(b));
        }
        return adapters;
    }

    /** Rows of random tokens, the second half of each a completion. */
    static ModelInput input(int vocab, long seed) {
        Random r = new Random(seed);
        long[][] ids = new long[3][17];
        for (long[] row : ids) {
            for (int i = 0; i < row.length; i++) {
                row[i] = r.nextInt(vocab);
            }
        }
        return ModelInput.causal(ids, new int[] {17, 11, 6});
    }

    static CompletionTargets targets(ModelInput input) {
        long[][] completion = new long[input.rows()][input.width()];
        for (int n = 0; n < input.rows(); n++) {
            for (int i = input.lengths()[n] / 2; i < input.lengths()[n]; i++) {
                completion[n][i] = 1;
            }
        }
        return CompletionTargets.fromCompletionMask(input.ids(), completion);
    }

    /** The gradients of {@code Σ w_n S_n} on every trainable parameter, and the sums. */
    static Map<String, float[]> gradients(CausalLm model, ModelInput input, float[] w, float[] sumsOut) {
        try (NDManager m = manager.newSubManager()) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                SequenceLogprobs.Result r = new SequenceLogprobs(5).compute(model, input, targets(input), m);
                if (sumsOut != null) {
                    System.arraycopy(r.sums(), 0, sumsOut, 0, sumsOut.length);
                }
                r.backward(gc, m.create(w));
            }
            Map<String, float[]> out = new LinkedHashMap<>();
            model.trainableParameters().forEach((name, p) -> {
                NDArray g = p.getGradient();
                g.attach(m);
                out.put(name, g.toFloatArray());
                g.subi(g);
            });
            return out;
        }
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void adapterGradientsAreTheChainRuleThroughTheMergedUpdate(Architecture arch) {
        ModelConfig config = tiny(arch);
        ModelInput input = input(config.vocabSize(), 7);
        float[] w = {0.7f, -1.3f, 0.4f};
        LoraConfig lora = LoraConfig.of(3, 5, 0, List.of(LoraConfig.ALL_LINEAR), arch == Architecture.QWEN2);
        try (CausalLm base = CausalLm.random(config, 11, manager); LoraAdapters adapters = randomAdapters(config, lora, 3, manager);
                CausalLm merged = CausalLm.random(config, 11, manager)) {
            CausalLm policy = base.withAdapters(adapters);
            policy.setTrainable(true);
            float[] adaptedSums = new float[3];
            Map<String, float[]> adapterGrads = gradients(policy, input, w, adaptedSums);
            assertEquals(adapters.parameters().keySet(), adapterGrads.keySet(), "only the adapters train");

            adapters.mergeInto(merged.parameters());
            merged.setTrainable(true);
            float[] mergedSums = new float[3];
            Map<String, float[]> full = gradients(merged, input, w, mergedSums);
            assertClose(arch + " sums", mergedSums, adaptedSums);
            adapters.modules().forEach((name, mod) -> {
                long[] shape = merged.parameters().get(name + ".weight").getShape().getShape();
                int out = (int) shape[0];
                int in = (int) shape[1];
                int r = mod.rank();
                float[] dW = full.get(name + ".weight");
                float[] a = mod.a().toFloatArray();
                float[] b = mod.b().toFloatArray();
                // dL/dA = s·Bᵀ·dW [r, in], dL/dB = s·dW·Aᵀ [out, r], in double
                float[] dA = new float[r * in];
                float[] dB = new float[out * r];
                for (int k = 0; k < r; k++) {
                    for (int j = 0; j < in; j++) {
                        double sum = 0;
                        for (int o = 0; o < out; o++) {
                            sum += (double) b[o * r + k] * dW[o * in + j];
                        }
                        dA[k * in + j] = (float) (mod.scaling() * sum);
                    }
                }
                for (int o = 0; o < out; o++) {
                    for (int k = 0; k < r; k++) {
                        double sum = 0;
                        for (int j = 0; j < in; j++) {
                            sum += (double) dW[o * in + j] * a[k * in + j];
                        }
                        dB[o * r + k] = (float) (mod.scaling() * sum);
                    }
                }
                assertClose(arch + " " + name + " dA", dA, adapterGrads.get(name + ".lora_A.weight"));
                assertClose(arch + " " + name + " dB", dB, adapterGrads.get(name + ".lora_B.weight"));
            });
        }
    }

    @Test
    void aFreshAdapterLeavesTheModelExactlyAsItWas() {
        ModelConfig config = tiny(Architecture.QWEN3);
        ModelInput input = input(config.vocabSize(), 2);
        try (CausalLm base = CausalLm.random(config, 5, manager); LoraAdapters adapters = LoraAdapters.initialise(config, LoraConfig.DEFAULT, 9, manager);
                NDManager m = manager.newSubManager()) {
            float[] plain = base.forward(input, m).hidden().toFloatArray();
            float[] adapted = base.withAdapters(adapters).forward(input, m).hidden().toFloatArray();
            assertArrayEquals(plain, adapted, "B = 0: the adapter adds exactly nothing");
            LoraAdapters.Module q = adapters.modules().get("model.layers.0.self_attn.q_proj");
            float bound = (float) (1 / Math.sqrt(24));
            float[] a = q.a().toFloatArray();
            double maxAbs = 0;
            for (float v : a) {
                assertTrue(Math.abs(v) <= bound, "Kaiming-uniform A within 1/sqrt(in)");
                maxAbs = Math.max(maxAbs, Math.abs(v));
            }
            assertTrue(maxAbs > 0.8 * bound, "A spans its range");
            assertEquals(16, q.rank());
            assertEquals(2.0, q.scaling(), 0);
            assertEquals(14, adapters.modules().size(), "all seven projections of both layers");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama-lora", "tiny-qwen2-lora-rslora"})
    void anAdapterWrittenByPeftLoadsAndGivesPeftsLogits(String name) throws IOException {
        Path dir = TestResources.path("adapters/" + name);
        JsonNode ref = JSON.readTree(dir.resolve("reference.json").toFile());
        long[][] ids = JSON.convertValue(ref.get("ids"), long[][].class);
        long[][] mask = JSON.convertValue(ref.get("attention_mask"), long[][].class);
        try (CausalLm base = CausalLm.load(TestResources.path("models/" + ref.get("base").asText()), manager);
                LoraAdapters adapters = PeftAdapterIo.read(dir, base.config(), manager); NDManager m = manager.newSubManager()) {
            CausalLm model = base.withAdapters(adapters);
            float[] logits = model.logits(model.hiddenStates(m.create(ids), m.create(mask))).toFloatArray();
            assertLogits(ref.get("logits"), mask, logits, base.config().vocabSize());
            assertLogits(ref.get("merged_logits"), mask, logits, base.config().vocabSize());
            if (name.contains("rslora")) {
                assertEquals(List.of("q_proj", "v_proj"), adapters.config().targetModules());
                LoraAdapters.Module v = adapters.modules().get("model.layers.1.self_attn.v_proj");
                assertEquals(3, v.rank(), "rank_pattern");
                assertEquals(5 / Math.sqrt(3), v.scaling(), 1e-12, "alpha_pattern with rsLoRA");
                assertEquals(3 / Math.sqrt(2), adapters.modules().get("model.layers.0.self_attn.q_proj").scaling(), 1e-12);
            }
        }
    }

    private static void assertLogits(JsonNode expected, long[][] mask, float[] actual, int v) {
        double[][][] e = JSON.convertValue(expected, double[][][].class);
        double worst = 0;
        int t = mask[0].length;
        for (int b = 0; b < mask.length; b++) {
            for (int i = 0; i < t; i++) {
                for (int k = 0; mask[b][i] != 0 && k < v; k++) {
                    worst = Math.max(worst, Math.abs(e[b][i][k] - actual[(b * t + i) * v + k]) / Math.max(1, Math.abs(e[b][i][k])));
                }
            }
        }
        assertTrue(worst < 1e-4, "worst relative logit difference " + worst);
    }

    @Test
    void peftFolderRoundTripsExactlyAndMergingEqualsTheAdaptedModel() throws IOException {
        Path source = TestResources.path("adapters/tiny-qwen2-lora-rslora");
        Path base = TestResources.path("models/tiny-qwen2");
        try (CausalLm model = CausalLm.load(base, manager); LoraAdapters adapters = PeftAdapterIo.read(source, model.config(), manager);
                NDManager m = manager.newSubManager()) {
            Path out = tmp.resolve("adapter");
            PeftAdapterIo.write(out, adapters, base.toString());
            try (SafetensorsFile f = SafetensorsFile.open(out.resolve(PeftAdapterIo.WEIGHTS))) {
                assertTrue(f.tensors().containsKey("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"), f.tensors().keySet().toString());
                assertEquals(8, f.tensors().size());
            }
            JsonNode written = JSON.readTree(out.resolve(PeftAdapterIo.CONFIG).toFile());
            assertEquals("LORA", written.get("peft_type").asText());
            assertEquals(5.0, written.get("alpha_pattern").get("model.layers.1.self_attn.v_proj").asDouble(), 1e-9);
            assertEquals(3, written.get("rank_pattern").get("model.layers.0.self_attn.v_proj").asInt());
            try (LoraAdapters again = PeftAdapterIo.read(out, model.config(), manager)) {
                assertEquals(adapters.modules().keySet(), again.modules().keySet());
                adapters.modules().forEach((name, a) -> {
                    assertArrayEquals(a.a().toFloatArray(), again.modules().get(name).a().toFloatArray());
                    assertArrayEquals(a.b().toFloatArray(), again.modules().get(name).b().toFloatArray());
                    assertEquals(a.scaling(), again.modules().get(name).scaling(), 1e-12);
                });
            }
            ModelInput input = input(model.config().vocabSize(), 4);
            float[] adapted = model.withAdapters(adapters).forward(input, m).hidden().toFloatArray();
            adapters.mergeInto(model.parameters());
            Path merged = tmp.resolve("merged");
            model.save(merged, io.github.dgpo.core.safetensors.DType.F32, Long.MAX_VALUE, null);
            try (CausalLm reloaded = CausalLm.load(merged, manager)) {
                assertClose("merged hidden states", adapted, reloaded.forward(input, m).hidden().toFloatArray());
            }
        }
    }

    @Test
    void unsupportedPeftFeaturesAreRefusedByName() throws IOException {
        Path dir = tmp.resolve("dora");
        Files.createDirectories(dir);
        Files.copy(TestResources.path("adapters/tiny-llama-lora").resolve(PeftAdapterIo.WEIGHTS), dir.resolve(PeftAdapterIo.WEIGHTS));
        Files.writeString(dir.resolve(PeftAdapterIo.CONFIG), "{\"peft_type\": \"LORA\", \"r\": 4, \"lora_alpha\": 8, \"use_dora\": true}");
        try (CausalLm model = CausalLm.load(TestResources.path("models/tiny-llama"), manager)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PeftAdapterIo.read(dir, model.config(), manager));
            assertTrue(e.getMessage().contains("use_dora") && e.getMessage().contains(PeftAdapterIo.CONFIG), e.getMessage());
            IOException wrongModel = assertThrows(IOException.class,
                    () -> PeftAdapterIo.read(TestResources.path("adapters/tiny-llama-lora"), tiny(Architecture.LLAMA), manager));
            assertTrue(wrongModel.getMessage().contains("do not fit"), wrongModel.getMessage());
        }
    }

    @Test
    void dropoutIsOnInTrainingPassesOnlyAndSeededByStepAndPass() {
        ModelConfig config = tiny(Architecture.LLAMA);
        ModelInput input = input(config.vocabSize(), 3);
        float[] w = {1f, 1f, 1f};
        try (CausalLm base = CausalLm.random(config, 1, manager);
                LoraAdapters adapters = randomAdapters(config, LoraConfig.of(2, 4, 0.3, List.of("q_proj", "down_proj"), false), 8, manager);
                NDManager m = manager.newSubManager()) {
            CausalLm policy = base.withAdapters(adapters);
            policy.setTrainable(true);
            adapters.beginStep(42, 7);
            Map<String, float[]> first = gradients(policy, input, w, null);
            Map<String, float[]> second = gradients(policy, input, w, null);
            adapters.beginStep(42, 7);
            Map<String, float[]> again = gradients(policy, input, w, null);
            String a = "model.layers.1.mlp.down_proj.lora_A.weight";
            assertArrayEquals(first.get(a), again.get(a), "same step, same pass: same masks");
            assertTrue(!java.util.Arrays.equals(first.get(a), second.get(a)), "the next pass draws new masks");
            float[] eval1 = policy.forward(input, m).hidden().toFloatArray();
            float[] eval2 = policy.forward(input, m).hidden().toFloatArray();
            assertArrayEquals(eval1, eval2, "no dropout without a graph");
        }
    }
}
