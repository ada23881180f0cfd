package io.github.dgpo.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.core.logprobs.CompletionTargets;
import io.github.dgpo.core.model.Architecture;
import io.github.dgpo.core.model.FlopCount;
import io.github.dgpo.core.model.ModelConfig;
import io.github.dgpo.core.model.ModelInput;
import io.github.dgpo.data.batch.PackedBatch;
import io.github.dgpo.data.batch.RowLayout;
import io.github.dgpo.data.tokenize.TokenizedPair;
import io.github.dgpo.train.TestRepo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dgpo bench train} and {@code bench gemm} run and report consistent numbers; the FLOP count by hand. */
class BenchCommandTest {

    @TempDir
    Path tmp;

    @Test
    void benchTrainReportsThroughputAndUtilisation() throws Exception {
        Path pairs = Paths.get(getClass().getResource("/train/pairs.jsonl").toURI());
        Path cfg = tmp.resolve("c.yaml");
        Files.writeString(cfg, "random_model: {architecture: llama, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 4,"
                + " num_key_value_heads: 2, vocab_size: 32000, tie_word_embeddings: true, bos_token_id: 1, eos_token_id: 2}\n"
                + "tokenizer_name_or_path: " + TestRepo.path("tokenizers/mistral") + "\ndataset_path: " + pairs + "\ndataset_format: jsonl\nmax_length: 64\n"
                + "loss_type: dpo\nlearning_rate: 0.01\nper_device_train_batch_size: 4\ngradient_accumulation_steps: 1\noutput_dir: " + tmp.resolve("unused") + "\n");
        TestRepo.Run r = TestRepo.cli("bench", "train", "--config", cfg.toString(), "--steps", "2", "--warmup", "1", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        double seconds = j.get("seconds_per_step").asDouble();
        assertEquals(4 / seconds, j.get("pairs_per_second").asDouble(), 1e-6 * (4 / seconds), "4 pairs per step");
        assertEquals(j.get("model_flops_per_token").asDouble() * j.get("tokens_per_second").asDouble() / 1e9, j.get("achieved_gflops").asDouble(),
                1e-6 * j.get("achieved_gflops").asDouble());
        assertEquals(j.get("achieved_gflops").asDouble() / j.get("gemm_gflops").asDouble(), j.get("mfu").asDouble(), 1e-9);
        assertTrue(j.get("peak_rss_mb").asDouble() > 100);
        JsonNode perStep = j.get("tokens_per_step");
        assertEquals(j.get("tokens_per_second").asDouble() * seconds, perStep.get("logical").asDouble(), 1e-6 * perStep.get("logical").asDouble(),
                "tokens per second counts the logical tokens");
        assertTrue(perStep.get("rows").asDouble() < perStep.get("logical").asDouble(), "shared prompts (the default) hold fewer tokens than separate rows: " + perStep);
        assertTrue(perStep.get("padded_rows").asDouble() >= perStep.get("rows").asDouble() && perStep.get("completions").asDouble() > 0, perStep.toString());
        double phases = 0;
        for (JsonNode v : j.get("seconds_per_step_by_phase")) {
            phases += v.asDouble();
        }
        assertEquals(seconds, phases, 1e-6, "the phases, 'other' included, add up to the step");
        assertTrue(j.get("seconds_per_step_by_phase").has("body_backward") && j.get("seconds_per_step_by_phase").has("reference/body_forward"));
        assertTrue(!Files.exists(tmp.resolve("unused")), "the benchmark trains in a temporary folder");

        TestRepo.Run gemm = TestRepo.cli("bench", "gemm", "--size", "256", "--repeats", "2");
        assertEquals(0, gemm.code(), gemm.err());
        assertTrue(gemm.out().contains("GFLOP/s"), gemm.out());
    }

    /** {@code bench gemm --shape} times one rectangular product and reports its rate; a malformed shape is refused. */
    @Test
    void gemmTimesOneProductOfAGivenShape() {
        TestRepo.Run product = TestRepo.cli("bench", "gemm", "--shape", "256x128x512", "--repeats", "2");
        assertEquals(0, product.code(), product.err());
        java.util.regex.Matcher line = java.util.regex.Pattern.compile("([0-9.]+) GFLOP/s \\(float32, 256x128 times 128x512: ([0-9.]+) ms\\)").matcher(product.out());
        assertTrue(line.find(), product.out());
        // the rate is the product's FLOPs over its printed time (rounded to 0.001 ms)
        double ms = Double.parseDouble(line.group(2));
        assertTrue(ms > 0, product.out());
        assertEquals(2.0 * 256 * 128 * 512 / (ms / 1e3) / 1e9, Double.parseDouble(line.group(1)), 0.03 * Double.parseDouble(line.group(1)) + 0.1);
        TestRepo.Run bad = TestRepo.cli("bench", "gemm", "--shape", "64x32");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--shape must be MxKxN") && bad.err().contains("'64x32'"), bad.err());
    }

    /** One pair, shared prompt vs two rows: the FLOPs by hand, and what the layout saves. */
    @Test
    void flopCountsNeededWorkOnly() {
        ModelConfig c = ModelConfig.builder(Architecture.LLAMA).set("vocab_size", 50).set("hidden_size", 8).set("intermediate_size", 12)
                .set("num_attention_heads", 2).set("num_key_value_heads", 1).set("num_hidden_layers", 3).build();
        TokenizedPair p = new TokenizedPair(new long[] {1, 2, 3}, new long[] {4, 5}, new long[] {6}, false, null);
        PackedBatch separate = RowLayout.separate(0).pairs(List.of(p));
        PackedBatch shared = RowLayout.sharedPrompt(0).pairs(List.of(p));
        // per token and layer: q 8x8, k and v 8x4 each, o 8x8, gate/up/down 8x12 each: 2*(64+64+64+288) = 960
        double linear = 960;
        // two rows of 5 and 4 tokens: keys seen 1+2+3+4+5 + 1+2+3+4 = 25; shared row of 6 tokens: 1+2+3 + 4+5 (chosen) + 4 (rejected) = 19
        double q = 8;
        double head = 2 * 8 * 50 * 3;
        assertEquals(25, FlopCount.visibleKeys(separate.input(), 0));
        assertEquals(19, FlopCount.visibleKeys(shared.input(), 0));
        assertEquals(3 * (linear * 9 + 4 * q * 25) + head, FlopCount.forward(c, separate.input(), separate.targets()), 1e-9);
        assertEquals(3 * (linear * 6 + 4 * q * 19) + head, FlopCount.forward(c, shared.input(), shared.targets()), 1e-9);
        ModelInput in = shared.input();
        CompletionTargets t = shared.targets();
        assertEquals(3, t.size());
        assertEquals(6, FlopCount.visibleKeys(in, 1), "a window of 1: each of the 6 tokens sees itself only");
    }
}
