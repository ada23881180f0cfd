package io.github.dgpo.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.train.TestRepo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dgpo train}, {@code eval}, {@code generate --data} and {@code plot} through the CLI. */
class RunCommandsTest {

    @TempDir
    Path tmp;

    private static Path repo(String relative) {
        return TestRepo.path(relative);
    }

    private static String[] run(String... args) {
        TestRepo.Run r = TestRepo.cli(args);
        return new String[] {Integer.toString(r.code()), r.out(), r.err()};
    }

    @Test
    void trainThenEvalGenerateAndPlot() throws Exception {
        Path pairs = Paths.get(getClass().getResource("/train/pairs.jsonl").toURI());
        Path run = tmp.resolve("run");
        Path cfg = tmp.resolve("c.yaml");
        Files.writeString(cfg, "# Run: java -jar dgpo-train/target/dgpo.jar train --config c.yaml\n"
                + "random_model: {architecture: qwen2, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2,"
                + " vocab_size: 32000, tie_word_embeddings: true, bos_token_id: 1, eos_token_id: 2}\n"
                + "tokenizer_name_or_path: " + repo("tokenizers/mistral") + "\ndataset_path: " + pairs + "\ndataset_format: jsonl\nmax_length: 64\n"
                + "loss_type: orpo\nlearning_rate: 0.01\nmax_steps: 6\nper_device_train_batch_size: 4\ngradient_accumulation_steps: 1\nlogging_steps: 2\n"
                + "progress_bar: false\noutput_dir: " + run + "\n");
        String[] train = run("train", "--config", cfg.toString(), "--set", "warmup_ratio=0");
        assertEquals("0", train[0], train[2]);
        assertTrue(Files.exists(run.resolve("tokenizer.json")), "the saved folder carries the tokenizer");
        assertEquals(3, Files.readAllLines(run.resolve("metrics.jsonl")).stream().filter(l -> l.contains("\"loss\"")).count(), "a line every 2 of 6 steps");

        String[] again = run("train", "--config", cfg.toString());
        assertEquals(Integer.toString(DgpoCli.USER_ERROR), again[0]);
        assertTrue(again[2].contains("already holds a run"), again[2]);

        String[] eval = run("eval", "--model", run.toString(), "--data", pairs.toString(), "--format", "jsonl", "--max-length", "64", "--json");
        assertEquals("0", eval[0], eval[2]);
        JsonNode e = new ObjectMapper().readTree(eval[1]);
        assertEquals(24, e.get("pairs").asInt());
        assertTrue(e.get("accuracy_sum").asDouble() >= 0 && e.get("accuracy_sum").asDouble() <= 1);
        assertTrue(e.get("logps_chosen").asDouble() < 0);

        Path alpaca = tmp.resolve("alpaca.json");
        String[] gen = run("generate", "--model", run.toString(), "--data", pairs.toString(), "--format", "jsonl", "--output", alpaca.toString(),
                "--limit", "2", "--max-new-tokens", "4");
        assertEquals("0", gen[0], gen[2]);
        JsonNode a = new ObjectMapper().readTree(alpaca.toFile());
        assertEquals(2, a.size());
        assertEquals("Can you help me with the weather?", a.get(0).get("instruction").asText());
        assertEquals("run", a.get(0).get("generator").asText());
        assertTrue(a.get(0).has("output"));

        Files.delete(run.resolve("plots/loss.png"));
        String[] plot = run("plot", "--run", run.toString());
        assertEquals("0", plot[0], plot[2]);
        assertTrue(Files.exists(run.resolve("plots/loss.png")));
    }
}
