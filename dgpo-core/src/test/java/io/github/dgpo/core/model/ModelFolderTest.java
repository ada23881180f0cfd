package io.github.dgpo.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dgpo.core.EngineManagerTest;
import io.github.dgpo.core.TestResources;
import io.github.dgpo.core.safetensors.DType;
import io.github.dgpo.core.safetensors.SafetensorsCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Saving and loading HF model folders, and every way a folder can be wrong. */
class ModelFolderTest extends EngineManagerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private static ModelConfig tiny(Architecture a) {
        ModelConfig.Builder b = ModelConfig.builder(a).set("vocab_size", 61);
        return a == Architecture.LLAMA ? b.set("attention_bias", true).set("mlp_bias", true).build() : b.build();
    }

    private static void assertSameParameters(CausalLm expected, CausalLm actual) {
        assertEquals(expected.parameters().keySet(), actual.parameters().keySet());
        for (Map.Entry<String, NDArray> e : expected.parameters().entrySet()) {
            float[] a = e.getValue().toFloatArray();
            float[] b = actual.parameters().get(e.getKey()).toFloatArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), e.getKey() + "[" + i + "]");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void saveThenLoadIsBitIdentical(Architecture a) throws IOException {
        Path dir = tmp.resolve(a.modelType());
        try (CausalLm model = CausalLm.random(tiny(a), 7, manager)) {
            model.save(dir, DType.F32, Long.MAX_VALUE, null);
            try (CausalLm loaded = CausalLm.load(dir, manager)) {
                assertSameParameters(model, loaded);
                assertEquals(a, loaded.config().architecture());
            }
        }
        assertTrue(Files.exists(dir.resolve("config.json")));
        JsonNode gen = JSON.readTree(dir.resolve("generation_config.json").toFile());
        assertEquals(2, gen.get("eos_token_id").asInt());
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
            List<String> names = List.copyOf(ckpt.tensors().keySet());
            assertEquals(names.stream().sorted().collect(Collectors.toList()), names);
            assertEquals("pt", ckpt.fileOf(names.get(0)).metadata().get("format"));
        }
    }

    @Test
    void savingIsDeterministic() throws IOException {
        try (CausalLm model = CausalLm.random(tiny(Architecture.QWEN3), 3, manager)) {
            model.save(tmp.resolve("a"), DType.F32, Long.MAX_VALUE, null);
            model.save(tmp.resolve("b"), DType.F32, Long.MAX_VALUE, null);
        }
        assertArrayEquals(Files.readAllBytes(tmp.resolve("a/model.safetensors")), Files.readAllBytes(tmp.resolve("b/model.safetensors")));
        assertArrayEquals(Files.readAllBytes(tmp.resolve("a/config.json")), Files.readAllBytes(tmp.resolve("b/config.json")));
    }

    @Test
    void shardedBf16RoundTripAndStaleShardsRemoved() throws IOException {
        Path dir = tmp.resolve("sharded");
        try (CausalLm model = CausalLm.random(tiny(Architecture.MISTRAL), 11, manager)) {
            model.save(dir, DType.BF16, 8_000, null);
            List<Path> shards;
            try (Stream<Path> s = Files.list(dir)) {
                shards = s.filter(p -> p.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors")).collect(Collectors.toList());
            }
            assertTrue(shards.size() > 2, "expected several shards, got " + shards);
            JsonNode index = JSON.readTree(dir.resolve(SafetensorsCheckpoint.INDEX).toFile());
            assertEquals(model.parameters().size(), index.get("weight_map").size());
            try (CausalLm loaded = CausalLm.load(dir, manager)) {
                for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                    float[] a = e.getValue().toFloatArray();
                    float[] b = loaded.parameters().get(e.getKey()).toFloatArray();
                    for (int i = 0; i < a.length; i++) {
                        assertEquals(DType.bf16ToFloat(DType.floatToBf16(a[i])), b[i], e.getKey());
                    }
                }
            }
            JsonNode config = JSON.readTree(dir.resolve("config.json").toFile());
            assertEquals("bfloat16", config.get("torch_dtype").asText());
            model.save(dir, DType.F32, Long.MAX_VALUE, null);
        }
        assertFalse(Files.exists(dir.resolve(SafetensorsCheckpoint.INDEX)), "stale index removed");
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.filter(p -> p.getFileName().toString().startsWith("model-")).count(), "stale shards removed");
        }
    }

    @Test
    void tokenizerFilesAreCopiedBesideTheWeights() throws IOException {
        Path tok = tmp.resolve("tok");
        Files.createDirectories(tok);
        Files.writeString(tok.resolve("tokenizer.json"), "{\"x\":1}");
        Files.writeString(tok.resolve("tokenizer_config.json"), "{}");
        try (CausalLm model = CausalLm.random(tiny(Architecture.QWEN2), 1, manager)) {
            model.save(tmp.resolve("out"), DType.F32, Long.MAX_VALUE, tok);
        }
        assertEquals("{\"x\":1}", Files.readString(tmp.resolve("out/tokenizer.json")));
        assertTrue(Files.exists(tmp.resolve("out/tokenizer_config.json")));
    }

    private Path savedLlama() throws IOException {
        Path dir = tmp.resolve("llama");
        try (CausalLm model = CausalLm.random(tiny(Architecture.LLAMA), 5, manager)) {
            model.save(dir, DType.F32, Long.MAX_VALUE, null);
        }
        return dir;
    }

    private static String loadError(Path dir) {
        return assertThrows(Exception.class, () -> CausalLm.load(dir, manager).close()).getMessage();
    }

    @Test
    void missingTensorOrWrongShapeIsNamed() throws IOException {
        Path dir = savedLlama();
        ObjectNode cfg = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        cfg.put("intermediate_size", 65);
        Files.writeString(dir.resolve("config.json"), cfg.toString());
        String msg = loadError(dir);
        assertTrue(msg.contains("tensor 'model.layers.0.mlp.gate_proj.weight' has shape [64, 32], expected [65, 32]"), msg);

        cfg.put("intermediate_size", 64);
        cfg.put("tie_word_embeddings", false);
        cfg.put("num_hidden_layers", 3);
        Files.writeString(dir.resolve("config.json"), cfg.toString());
        msg = loadError(dir);
        assertTrue(msg.contains("missing tensor 'model.layers.2.input_layernorm.weight'"), msg);
    }

    @Test
    void unexpectedTensorsAreIgnoredWithAWarning() throws IOException {
        Path dir = savedLlama();
        ObjectNode cfg = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        cfg.put("num_hidden_layers", 1);
        Files.writeString(dir.resolve("config.json"), cfg.toString());
        try (CausalLm loaded = CausalLm.load(dir, manager)) {
            assertEquals(1, loaded.config().layers());
        }
    }

    @Test
    void folderAndConfigErrors() throws IOException {
        assertTrue(loadError(tmp.resolve("nope")).contains("model folder does not exist"));
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertTrue(loadError(empty).contains("no config.json"));
        Path dir = savedLlama();
        ObjectNode cfg = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        cfg.putArray("architectures").add("GPT2LMHeadModel");
        cfg.put("model_type", "gpt2");
        Files.writeString(dir.resolve("config.json"), cfg.toString());
        String msg = loadError(dir);
        assertTrue(msg.contains("unsupported architecture [GPT2LMHeadModel, gpt2]; supported: LlamaForCausalLM (llama), MistralForCausalLM (mistral), Qwen2ForCausalLM (qwen2), Qwen3ForCausalLM (qwen3)"), msg);
        cfg.putArray("architectures").add("LlamaForCausalLM");
        cfg.remove("hidden_size");
        Files.writeString(dir.resolve("config.json"), cfg.toString());
        assertTrue(loadError(dir).contains("required field 'hidden_size' is missing"));
        Files.delete(dir.resolve("model.safetensors"));
        cfg.put("hidden_size", 32);
        Files.writeString(dir.resolve("config.json"), cfg.toString());
        assertTrue(loadError(dir).contains("no model.safetensors or model.safetensors.index.json"));
    }

    @Test
    void brokenShardIndex() throws IOException {
        Path dir = tmp.resolve("s");
        try (CausalLm model = CausalLm.random(tiny(Architecture.QWEN2), 2, manager)) {
            model.save(dir, DType.F32, 10_000, null);
        }
        ObjectNode index = (ObjectNode) JSON.readTree(dir.resolve(SafetensorsCheckpoint.INDEX).toFile());
        ((ObjectNode) index.get("weight_map")).put("model.norm.weight", "model-00009-of-00009.safetensors");
        Files.writeString(dir.resolve(SafetensorsCheckpoint.INDEX), index.toString());
        assertTrue(loadError(dir).contains("tensor 'model.norm.weight' is in shard model-00009-of-00009.safetensors, which does not exist"));
        ((ObjectNode) index.get("weight_map")).put("model.norm.weight", "model-00001-of-" + String.format("%05d", index.get("weight_map").size() > 0 ? countShards(dir) : 1) + ".safetensors");
        Files.writeString(dir.resolve(SafetensorsCheckpoint.INDEX), index.toString());
        assertTrue(loadError(dir).contains("tensor 'model.norm.weight' listed in model.safetensors.index.json is missing"));
    }

    private static long countShards(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors")).count();
        }
    }

    @Test
    void bothRopeSpellingsAndSlidingWindowRules() {
        ObjectNode old = JSON.createObjectNode();
        old.putArray("architectures").add("LlamaForCausalLM");
        old.put("vocab_size", 10).put("hidden_size", 8).put("intermediate_size", 8).put("num_hidden_layers", 2).put("num_attention_heads", 2);
        old.put("rope_theta", 500000.0);
        old.putObject("rope_scaling").put("type", "linear").put("factor", 4.0);
        ModelConfig a = ModelConfig.parse(old, "old");
        assertEquals(500000.0, a.ropeTheta());
        assertEquals("linear", a.ropeScaling().type());
        assertEquals(2, a.kvHeads(), "absent num_key_value_heads means the head count");

        ObjectNode v5 = old.deepCopy();
        v5.remove("rope_theta");
        v5.remove("rope_scaling");
        v5.putObject("rope_parameters").put("rope_type", "llama3").put("rope_theta", 1234.0).put("factor", 8.0)
                .put("low_freq_factor", 1.0).put("high_freq_factor", 4.0).put("original_max_position_embeddings", 8192);
        ModelConfig b = ModelConfig.parse(v5, "v5");
        assertEquals(1234.0, b.ropeTheta());
        assertEquals("llama3", b.ropeScaling().type());
        assertEquals(8192, b.ropeScaling().originalMaxPositions());

        ObjectNode qwen = old.deepCopy();
        qwen.putArray("architectures").add("Qwen2ForCausalLM");
        qwen.put("sliding_window", 4).put("use_sliding_window", false);
        assertEquals(0, ModelConfig.parse(qwen, "q").slidingWindow(1), "Qwen ignores sliding_window unless use_sliding_window");
        qwen.put("use_sliding_window", true).put("max_window_layers", 1);
        ModelConfig q = ModelConfig.parse(qwen, "q");
        assertEquals(0, q.slidingWindow(0));
        assertEquals(4, q.slidingWindow(1));

        ObjectNode yarn = old.deepCopy();
        yarn.putObject("rope_scaling").put("rope_type", "yarn");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelConfig.parse(yarn, "y")).getMessage().contains("'yarn' is not supported"));
    }

    @Test
    void thePapersModelsParseWithTheirPublishedLayouts() throws IOException {
        ModelConfig llama = ModelConfig.parse(JSON.readTree(TestResources.path("configs/Meta-Llama-3-8B-Instruct.json").toFile()), "llama3");
        assertEquals(8_030_261_248L, ParameterLayout.of(llama).count());
        assertEquals(List.of(128009), llama.eosTokenIds());
        ModelConfig mistral = ModelConfig.parse(JSON.readTree(TestResources.path("configs/Mistral-7B-Instruct-v0.2.json").toFile()), "mistral");
        assertEquals(7_241_732_096L, ParameterLayout.of(mistral).count());
        assertEquals(0, mistral.slidingWindow(0), "sliding_window null: full attention");
        assertEquals(128, mistral.headDim());
    }

    @Test
    void stories260KLoadsWithFiniteLogits() throws IOException {
        try (CausalLm model = CausalLm.load(TestResources.stories260K(), manager); NDManager m = manager.newSubManager()) {
            assertEquals(260_032, ParameterLayout.of(model.config()).count());
            NDArray logits = model.logits(model.hiddenStates(m.create(new long[][] {{1, 2, 3, 4}}), m.create(new long[][] {{1, 1, 1, 1}})));
            for (float v : logits.toFloatArray()) {
                assertTrue(Float.isFinite(v));
            }
        }
    }
}
