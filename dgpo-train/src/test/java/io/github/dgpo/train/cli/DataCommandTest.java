package io.github.dgpo.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.train.TestRepo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dgpo data inspect} on the bundled data. */
class DataCommandTest {

    private static Path repo(String relative) {
        return TestRepo.path(relative);
    }

    private static String[] run(String... args) {
        TestRepo.Run r = TestRepo.cli(args);
        return new String[] {Integer.toString(r.code()), r.out(), r.err()};
    }

    @Test
    void inspectHhRlhfWithQwen3AsJson() throws Exception {
        String[] r = run("data", "inspect", "--format", "hh-rlhf", "--path", repo("data/hh-rlhf/harmless-base-test.jsonl.gz").toString(),
                "--tokenizer", repo("tokenizers/qwen3").toString(), "--max-length", "256", "--json");
        assertEquals("0", r[0], r[2]);
        JsonNode o = new ObjectMapper().readTree(r[1]);
        assertEquals(List.of("read", "kept", "dropped", "truncated", "prompt_tokens", "chosen_tokens", "rejected_tokens", "similarity"), iterate(o));
        assertEquals(2312, o.get("read").asInt());
        assertEquals(4, o.get("dropped").get("empty completion").asInt());
        long promptTooLong = o.get("dropped").path("prompt too long").asLong();
        assertTrue(promptTooLong > 0, "some prompts exceed 256 tokens");
        assertEquals(2312 - 4 - promptTooLong, o.get("kept").asLong());
        assertTrue(o.get("truncated").asInt() > 0);
        assertTrue(o.get("prompt_tokens").get("max").asInt() < 256);
        assertEquals(List.of("mean", "p50", "p95", "max"), iterate(o.get("chosen_tokens")));
        double jaccard = o.get("similarity").get("jaccard_mean").asDouble();
        assertTrue(jaccard > 0 && jaccard < 1);
    }

    @Test
    void inspectWithoutTokenizerAndErrors() throws Exception {
        String[] r = run("data", "inspect", "--format", "ultrafeedback", "--path", repo("data/ultrafeedback-sample/parquet").toString(), "--split", "test_prefs", "--json");
        assertEquals("0", r[0], r[2]);
        JsonNode o = new ObjectMapper().readTree(r[1]);
        assertEquals(List.of("read", "kept", "dropped", "truncated"), iterate(o));
        assertEquals(12, o.get("kept").asInt());
        String[] bad = run("data", "inspect", "--format", "csv", "--path", ".");
        assertEquals(Integer.toString(DgpoCli.USER_ERROR), bad[0]);
        assertTrue(bad[2].contains("unknown dataset format 'csv'"), bad[2]);
        String[] missing = run("data", "inspect", "--format", "jsonl", "--path", "/no/such/file.jsonl");
        assertTrue(missing[2].contains("/no/such/file.jsonl: no such file or folder"), missing[2]);
    }

    @Test
    void rawUltraFeedbackPairingIsConfigurable() throws Exception {
        String raw = repo("data/ultrafeedback-sample/raw").toString();
        JsonNode worst = new ObjectMapper().readTree(run("data", "inspect", "--format", "ultrafeedback-raw", "--path", raw, "--pair-rule", "best-vs-worst", "--json")[1]);
        assertEquals(12, worst.get("read").asInt());
        assertEquals(10, worst.get("kept").asInt());
        assertEquals(1, worst.get("dropped").get("tie").asInt());
        JsonNode all = new ObjectMapper().readTree(run("data", "inspect", "--format", "ultrafeedback-raw", "--path", raw, "--pair-rule", "all-pairs", "--min-score-gap", "4", "--json")[1]);
        assertTrue(all.get("kept").asInt() > 10, "all pairs with a gap of 4 give several pairs per row");
        String[] bad = run("data", "inspect", "--format", "ultrafeedback-raw", "--path", raw, "--pair-rule", "random");
        assertTrue(bad[2].contains("pair rule must be best-vs-random, best-vs-worst or all-pairs"), bad[2]);
    }

    @Test
    void templateKwargsReachTheTemplate(@TempDir Path tmp) throws Exception {
        Path rows = tmp.resolve("pairs.jsonl");
        Files.write(rows, List.of(
                "{\"prompt\": \"What is 2+2?\", \"chosen\": \"4\", \"rejected\": \"5\"}",
                "{\"prompt\": \"Weather?\", \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}}],"
                        + " \"chosen\": [{\"role\": \"assistant\", \"tool_calls\": [{\"function\": {\"name\": \"get_weather\", \"arguments\": {}}}]}],"
                        + " \"rejected\": [{\"role\": \"assistant\", \"content\": \"Sunny.\"}]}"));
        String[] base = {"data", "inspect", "--format", "jsonl", "--path", rows.toString(), "--tokenizer", repo("tokenizers/qwen3").toString(), "--json"};
        JsonNode thinking = new ObjectMapper().readTree(run(base)[1]);
        String[] off = run(concat(base, "--template-kwarg", "enable_thinking=false"));
        assertEquals("0", off[0], off[2]);
        JsonNode noThinking = new ObjectMapper().readTree(off[1]);
        assertEquals(2, noThinking.get("kept").asInt());
        // enable_thinking=false (the YAML boolean) appends '<think>', '\n\n', '</think>', '\n\n' to every prompt
        assertEquals(thinking.get("prompt_tokens").get("max").asInt() + 4, noThinking.get("prompt_tokens").get("max").asInt());
        assertEquals(thinking.get("prompt_tokens").get("mean").asDouble() + 4, noThinking.get("prompt_tokens").get("mean").asDouble(), 1e-9);
        // the string 'false' is truthy in jinja: nothing changes
        JsonNode quoted = new ObjectMapper().readTree(run(concat(base, "--template-kwarg", "enable_thinking='false'"))[1]);
        assertEquals(thinking.get("prompt_tokens"), quoted.get("prompt_tokens"));
        String[] reserved = run(concat(base, "--template-kwarg", "tools=[]"));
        assertEquals(Integer.toString(DgpoCli.USER_ERROR), reserved[0]);
        assertTrue(reserved[2].contains("chat_template_kwargs: 'tools' is not a template variable"), reserved[2]);
        String[] notYaml = run(concat(base, "--template-kwarg", "x=[1"));
        assertEquals(Integer.toString(DgpoCli.USER_ERROR), notYaml[0]);
        assertTrue(notYaml[2].contains("--template-kwarg x: '[1' is not a YAML value"), notYaml[2]);
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static List<String> iterate(JsonNode o) {
        List<String> names = new java.util.ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
