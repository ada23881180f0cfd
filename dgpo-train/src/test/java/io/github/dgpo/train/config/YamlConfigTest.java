package io.github.dgpo.train.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * YAML that reads as something other than what it says: duplicate keys (the last one used to
 * win silently), aliases (read as their name), decimals where integers belong (truncated), and
 * files that are not files.
 */
class YamlConfigTest {

    @TempDir
    Path tmp;

    private static final String BASE = "model_name_or_path: m\ndataset_path: d\noutput_dir: o\n";

    private Path write(String yaml) throws IOException {
        return Files.writeString(tmp.resolve("c.yaml"), yaml);
    }

    private String error(String yaml, String... overrides) throws IOException {
        Path f = write(yaml);
        Exception e = assertThrows(Exception.class, () -> ConfigLoader.load(f, List.of(overrides)));
        assertTrue(e instanceof IllegalArgumentException || e instanceof IOException, e.toString());
        return e.getMessage();
    }

    @Test
    void aDuplicateKeyIsAnErrorNamingKeyAndLine() throws Exception {
        String msg = error(BASE + "learning_rate: 1.0e-6\nbeta: 0.1\nlearning_rate: 5.0\n");
        assertEquals(tmp.resolve("c.yaml") + ": duplicate key 'learning_rate' at line 6", msg);
        msg = error("random_model: {vocab_size: 32, vocab_size: 64}\ntokenizer_name_or_path: t\ndataset_path: d\noutput_dir: o\n");
        assertTrue(msg.startsWith(tmp.resolve("c.yaml") + ": duplicate key 'vocab_size' at line 1"), msg);
    }

    @Test
    void anAliasIsRefusedNotReadAsItsName() throws Exception {
        String msg = error(BASE + "per_device_eval_batch_size: &bs 4\nper_device_train_batch_size: *bs\n");
        assertTrue(msg.startsWith(tmp.resolve("c.yaml") + ": YAML aliases are not supported (line 5, column 30); write the value out"), msg);
    }

    @Test
    void aDecimalWhereAnIntegerBelongsIsAnError() throws Exception {
        assertEquals(tmp.resolve("c.yaml") + ": per_device_train_batch_size must be an integer, got 2.5",
                error(BASE + "per_device_train_batch_size: 2.5\n"));
        assertEquals(tmp.resolve("c.yaml") + ": per_device_train_batch_size must be an integer, got 1.0E9",
                error(BASE + "per_device_train_batch_size: 1e9\n"));
        assertEquals(tmp.resolve("c.yaml") + ": max_steps must be an integer, got 2.5", error(BASE, "max_steps=2.5"));
        assertEquals(tmp.resolve("c.yaml") + ": max_steps must be an integer, got \"ten\"", error(BASE, "max_steps=ten"));
        String random = "random_model: {hidden_size: 64.5}\ntokenizer_name_or_path: t\ndataset_path: d\noutput_dir: o\n";
        assertEquals(tmp.resolve("c.yaml") + ": random_model: field 'hidden_size' must be a positive integer, got 64.5", error(random));
    }

    @Test
    void randomModelKeysAndValuesAreCheckedWhenTheConfigLoads() throws Exception {
        String msg = error("random_model: {architecture: qwen3, hiden_size: 64}\ntokenizer_name_or_path: t\ndataset_path: d\noutput_dir: o\n");
        assertTrue(msg.startsWith(tmp.resolve("c.yaml") + ": random_model: unknown key 'hiden_size'; valid keys: architecture, "), msg);
        assertTrue(msg.contains("hidden_size"), msg);
        msg = error("random_model: {architecture: gpt2}\ntokenizer_name_or_path: t\ndataset_path: d\noutput_dir: o\n");
        assertTrue(msg.startsWith(tmp.resolve("c.yaml") + ": random_model.architecture 'gpt2' is not supported; supported: "), msg);
        Path ok = write("random_model: {architecture: qwen3, hidden_size: 64, num_attention_heads: 4}\ntokenizer_name_or_path: t\ndataset_path: d\noutput_dir: o\n");
        assertEquals(64, ConfigLoader.randomModelConfig(ConfigLoader.load(ok, List.of())).hiddenSize());
    }

    @Test
    void anUnknownDatasetFormatNamesTheConfig() throws Exception {
        assertEquals(tmp.resolve("c.yaml") + ": unknown dataset format 'csv'; valid: hh-rlhf, ultrafeedback, ultrafeedback-raw, jsonl, kto",
                error(BASE + "dataset_format: csv\n"));
    }

    @Test
    void syntaxErrorsArePlacedNotQuoted() throws Exception {
        String msg = error(BASE + "beta: [0.1\nswordfish: {\n");
        assertTrue(msg.startsWith(tmp.resolve("c.yaml") + ": not valid YAML at line "), msg);
        assertFalse(msg.contains("swordfish"), msg);
    }

    @Test
    void aConfigThatIsNotAFileIsRefusedWithoutBlocking() throws Exception {
        Path fifo = tmp.resolve("fifo.yaml");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assumeTrue(mk.waitFor() == 0, "needs mkfifo");
        String msg = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(IOException.class, () -> ConfigLoader.load(fifo, List.of()))).getMessage();
        assertEquals(fifo + ": not a regular file (a FIFO, device or socket); dgpo reads only regular files", msg);
        assertEquals(tmp + ": is a folder, not a file", assertThrows(IOException.class, () -> ConfigLoader.load(tmp, List.of())).getMessage());
    }
}
