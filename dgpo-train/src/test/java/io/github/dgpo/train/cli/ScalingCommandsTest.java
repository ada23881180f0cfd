package io.github.dgpo.train.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.core.TestResources;
import io.github.dgpo.train.TestRepo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scaling commands: {@code merge} writes a folder that scores as base + adapter does ({@code
 * score --adapter}, against PEFT's own logits too); {@code generate} and {@code eval} take an
 * adapter; {@code plan} predicts by component from a config and a {@code config.json}; {@code
 * bench memory} runs its cases in their own processes (tiny smoke run).
 */
class ScalingCommandsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private static final String IDS = "1,17,45,3,88,23,60,71,5,9,33,40,12";

    @Test
    void aMergedFolderScoresAsBasePlusAdapter() throws Exception {
        Path base = TestResources.path("models/tiny-llama");
        Path adapter = TestResources.path("adapters/tiny-llama-lora");
        Path merged = tmp.resolve("merged");
        TestRepo.Run m = TestRepo.cli("merge", "--base", base.toString(), "--adapter", adapter.toString(), "--output", merged.toString());
        assertEquals(0, m.code(), m.err());
        assertTrue(Files.exists(merged.resolve("model.safetensors")) && Files.exists(merged.resolve("config.json")));

        JsonNode viaAdapter = score("--model", base.toString(), "--adapter", adapter.toString());
        JsonNode viaMerged = score("--model", merged.toString());
        JsonNode plain = score("--model", base.toString());
        double[] a = JSON.convertValue(viaAdapter.get("token_logprobs"), double[].class);
        double[] b = JSON.convertValue(viaMerged.get("token_logprobs"), double[].class);
        double[] p = JSON.convertValue(plain.get("token_logprobs"), double[].class);
        assertArrayEquals(a, b, 1e-5, "merged folder = base + adapter");
        assertFalse(Math.abs(a[3] - p[3]) < 1e-3, "and the adapter matters");
        double[][] peft = JSON.convertValue(JSON.readTree(adapter.resolve("reference.json").toFile()).get("logits").get(0), double[][].class);
        double[] row = JSON.convertValue(viaMerged.get("logits").get("4"), double[].class);
        for (int k = 0; k < row.length; k++) {
            assertEquals(peft[4][k], row[k], 1e-4 * Math.max(1, Math.abs(peft[4][k])), "PEFT's logits, column " + k);
        }

        TestRepo.Run g1 = TestRepo.cli("generate", "--model", base.toString(), "--adapter", adapter.toString(), "--ids", "1,17,45", "--max-new-tokens", "6", "--json");
        TestRepo.Run g2 = TestRepo.cli("generate", "--model", merged.toString(), "--ids", "1,17,45", "--max-new-tokens", "6", "--json");
        assertEquals(0, g1.code(), g1.err());
        assertEquals(JSON.readTree(g2.out()).get("ids"), JSON.readTree(g1.out()).get("ids"), "greedy decoding with the adapter = with the merged model");

        TestRepo.Run same = TestRepo.cli("merge", "--base", base.toString(), "--adapter", adapter.toString(), "--output", base.toString());
        assertEquals(DgpoCli.USER_ERROR, same.code());
        assertTrue(same.err().contains("--output must differ from --base"), same.err());
        TestRepo.Run wrong = TestRepo.cli("score", "--model", TestResources.stories260K().toString(), "--adapter", adapter.toString(), "--ids", "1,2");
        assertEquals(DgpoCli.USER_ERROR, wrong.code());
        assertTrue(wrong.err().contains("adapter_model.safetensors"), wrong.err());
    }

    private JsonNode score(String... model) throws Exception {
        String[] args = new String[model.length + 6];
        args[0] = "score";
        System.arraycopy(model, 0, args, 1, model.length);
        System.arraycopy(new String[] {"--ids", IDS, "--logits-at", "4", "--json"}, 0, args, model.length + 1, 5);
        TestRepo.Run r = TestRepo.cli(args);
        assertEquals(0, r.code(), r.err());
        return JSON.readTree(r.out());
    }

    @Test
    void planPredictsByComponentFromAConfigJsonAlone() throws Exception {
        Path config = tmp.resolve("run.yaml");
        Files.writeString(config, "model_name_or_path: /not/downloaded/yet\ndataset_path: data.jsonl\noutput_dir: out\nloss_type: dpo\nmax_length: 2048\n"
                + "per_device_train_batch_size: 2\n");
        Path modelConfig = TestResources.path("configs/Meta-Llama-3-8B-Instruct.json");
        TestRepo.Run full = TestRepo.cli("plan", "--config", config.toString(), "--model-config", modelConfig.toString(), "--device-memory", "80GB", "--json");
        assertEquals(0, full.code(), full.err());
        JsonNode f = JSON.readTree(full.out());
        long params = 8_030_261_248L;
        assertEquals(4 * params, f.get("components").get("trainable").asLong(), "float32 weights");
        assertEquals(4 * params, f.get("components").get("gradients").asLong());
        assertTrue(f.get("components").get("optimizer").asLong() >= 8 * params, "two AdamW moments");
        assertEquals(4 * params, f.get("components").get("reference").asLong(), "a live float32 reference model");
        long sum = 0;
        for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) () -> f.get("components").fields()) {
            sum += e.getValue().asLong();
        }
        assertEquals(f.get("total_bytes").asLong(), sum, "the components add up to the total");
        assertFalse(f.get("fits").asBoolean(), "full float32 DPO of an 8B model does not fit 80 GB");

        TestRepo.Run lean = TestRepo.cli("plan", "--config", config.toString(), "--model-config", modelConfig.toString(), "--set", "use_peft=true", "--set",
                "base_dtype=float16", "--set", "gradient_checkpointing=true", "--device-memory", "80GB", "--json");
        JsonNode l = JSON.readTree(lean.out());
        assertEquals(0, l.get("components").get("reference").asLong(), "the reference is the base with the adapters off");
        assertEquals(4L * 16 * (32 * (4096 + 4096 + 2 * (4096 + 1024) + 4096 + 4096 + 3 * (4096 + 14336))), l.get("components").get("trainable").asLong(),
                "r 16 on all seven projections of 32 layers, float32");
        assertTrue(l.get("fits").asBoolean(), "LoRA on a float16 base with checkpointing fits 80 GB");
        assertTrue(l.get("total_bytes").asLong() < f.get("total_bytes").asLong() / 4);

        TestRepo.Run text = TestRepo.cli("plan", "--config", config.toString(), "--model-config", modelConfig.toString(), "--device-memory", "24GB");
        assertTrue(text.out().contains("does NOT fit in") && text.out().contains("activations"), text.out());
        TestRepo.Run bad = TestRepo.cli("plan", "--config", config.toString(), "--model-config", modelConfig.toString(), "--device-memory", "lots");
        assertEquals(DgpoCli.USER_ERROR, bad.code());
        assertTrue(bad.err().contains("expected a size such as 24GB"), bad.err());
    }

    @Test
    void benchMemoryRunsEachCaseInItsOwnProcess() throws Exception {
        TestRepo.Run r = TestRepo.cli("bench", "memory", "--layers", "1", "--hidden", "32", "--intermediate", "64", "--heads", "4", "--kv-heads", "2", "--vocab", "300",
                "--tokens", "16", "--steps", "1", "--chunk-size", "8", "--lora-r", "2", "--heap-mb", "256", "--variants", "full-fp32,lora-fp16-checkpointing", "--losses", "dpo",
                "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode cases = JSON.readTree(r.out()).get("cases");
        assertEquals(2, cases.size());
        assertEquals("lora-fp16-checkpointing", cases.get(1).get("variant").asText());
        for (JsonNode c : cases) {
            assertEquals("dpo", c.get("loss").asText());
            assertTrue(c.get("seconds_per_step").asDouble() > 0 && c.get("peak_rss_mb").asDouble() > c.get("baseline_rss_mb").asDouble(), c.toString());
            assertTrue(c.get("predicted_peak_mb").asDouble() > 0, c.toString());
        }
    }
}
