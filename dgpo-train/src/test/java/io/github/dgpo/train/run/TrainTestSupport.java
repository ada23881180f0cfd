package io.github.dgpo.train.run;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.dgpo.train.config.ConfigLoader;
import io.github.dgpo.train.config.TrainConfig;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Set;

/** Tiny training configs and comparisons for the trainer tests. */
final class TrainTestSupport {

    /** Metric fields that measure the machine, not the training. */
    static final Set<String> TIMING = Set.of("tokens_per_second", "peak_rss_mb");

    private TrainTestSupport() {}

    static Path repo(String relative) {
        return io.github.dgpo.train.TestRepo.path(relative);
    }

    static Path pairs() {
        try {
            return Paths.get(TrainTestSupport.class.getResource("/train/pairs.jsonl").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A config file for a 1-layer random Llama with the Mistral tokenizer, plus extra YAML lines;
     * an extra line replaces the base line of its key (a YAML file may not repeat a key).
     */
    static Path config(Path dir, String outputDir, String... extra) throws IOException {
        StringBuilder y = new StringBuilder();
        y.append("random_model: {architecture: llama, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 4,")
                .append(" num_key_value_heads: 2, vocab_size: 32000, tie_word_embeddings: true, initializer_range: 0.02, bos_token_id: 1, eos_token_id: 2}\n");
        y.append("model_seed: 3\n");
        y.append("tokenizer_name_or_path: ").append(repo("tokenizers/mistral")).append('\n');
        y.append("dataset_path: ").append(pairs()).append('\n');
        y.append("dataset_format: jsonl\nmax_length: 64\nlearning_rate: 0.01\nwarmup_ratio: 0.0\nper_device_train_batch_size: 4\n");
        y.append("gradient_accumulation_steps: 1\nlogits_chunk_size: 32\nlogging_steps: 1\nprogress_bar: false\nplots: false\n");
        y.append("output_dir: ").append(outputDir).append('\n');
        for (String e : extra) {
            String key = e.substring(0, e.indexOf(':') + 1);
            y = new StringBuilder(y.toString().replaceAll("(?m)^" + java.util.regex.Pattern.quote(key) + ".*\n", ""));
            y.append(e).append('\n');
        }
        Path f = dir.resolve("config-" + Math.abs(y.toString().hashCode()) + ".yaml");
        Files.writeString(f, y.toString());
        return f;
    }

    static TrainConfig load(Path file, String... overrides) throws IOException {
        return ConfigLoader.load(file, List.of(overrides));
    }

    /** Training lines of a run (without eval lines), timing fields removed. */
    static List<JsonNode> trainingLines(Path run) throws IOException {
        return MetricsLog.read(run).stream().filter(l -> l.has("loss")).map(l -> {
            com.fasterxml.jackson.databind.node.ObjectNode o = ((com.fasterxml.jackson.databind.node.ObjectNode) l).deepCopy();
            TIMING.forEach(o::remove);
            return (JsonNode) o;
        }).toList();
    }

    static void assertSameLines(List<JsonNode> expected, List<JsonNode> actual, double tolerance) {
        org.junit.jupiter.api.Assertions.assertEquals(expected.size(), actual.size(), "number of metric lines");
        for (int i = 0; i < expected.size(); i++) {
            JsonNode e = expected.get(i);
            JsonNode a = actual.get(i);
            List<String> names = new java.util.ArrayList<>();
            e.fieldNames().forEachRemaining(names::add);
            List<String> actualNames = new java.util.ArrayList<>();
            a.fieldNames().forEachRemaining(actualNames::add);
            org.junit.jupiter.api.Assertions.assertEquals(names, actualNames, "fields of line " + i);
            for (String n : names) {
                if (e.get(n).isNumber()) {
                    double x = e.get(n).asDouble();
                    double y = a.get(n).asDouble();
                    org.junit.jupiter.api.Assertions.assertTrue(Math.abs(x - y) <= tolerance * Math.max(1, Math.abs(x)), "line " + i + " " + n + ": " + x + " vs " + y);
                } else {
                    org.junit.jupiter.api.Assertions.assertEquals(e.get(n), a.get(n), "line " + i + " " + n);
                }
            }
        }
    }
}
