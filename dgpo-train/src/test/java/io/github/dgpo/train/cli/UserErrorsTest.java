package io.github.dgpo.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dgpo.core.TestResources;
import io.github.dgpo.train.TestRepo;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every user error of issue 12's list, through the command line: each ends with one {@code
 * error:} line that names the file, field or value and says what to do, exit code 2, and no
 * stack trace (that needs {@code --debug}).
 */
class UserErrorsTest {

    @TempDir
    static Path tmp;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path stories;
    private static Path pairs;

    @BeforeAll
    static void files() throws Exception {
        stories = TestResources.stories260K();
        pairs = Paths.get(UserErrorsTest.class.getResource("/train/pairs.jsonl").toURI());
        Path gz = Files.createDirectories(tmp.resolve("gz"));
        byte[] whole = gzip(Files.readAllBytes(pairs));
        Files.write(gz.resolve("truncated.jsonl.gz"), Arrays.copyOf(whole, whole.length / 2));
        Files.writeString(gz.resolve("plain.jsonl.gz"), Files.readString(pairs));
        Files.write(gz.resolve("empty.jsonl.gz"), new byte[0]);
        Path badTokenizer = Files.createDirectories(tmp.resolve("tokenizer-not-json"));
        Files.writeString(badTokenizer.resolve("tokenizer.json"), "swordfish is not JSON");
        Path truncatedTokenizer = Files.createDirectories(tmp.resolve("tokenizer-truncated-gz"));
        byte[] tok = Files.readAllBytes(TestRepo.path("tokenizers/mistral/tokenizer.json.gz"));
        Files.write(truncatedTokenizer.resolve("tokenizer.json.gz"), Arrays.copyOf(tok, tok.length / 3));
        for (String kv : List.of("0", "\"abc\"")) {
            Path model = copy(stories, tmp.resolve("kv-" + kv.replace("\"", "")));
            ObjectNode cfg = (ObjectNode) JSON.readTree(model.resolve("config.json").toFile());
            cfg.set("num_key_value_heads", JSON.readTree(kv));
            Files.writeString(model.resolve("config.json"), cfg.toString());
        }
        Path dirWeights = copy(stories, tmp.resolve("weights-folder"));
        Files.delete(dirWeights.resolve("model.safetensors"));
        Files.createDirectories(dirWeights.resolve("model.safetensors"));
        Path run = Files.createDirectories(tmp.resolve("huge-checkpoint/checkpoint-99999999999"));
        Files.writeString(run.resolve("trainer_state.json"), "{\"global_step\": 1}");
    }

    private static byte[] gzip(byte[] data) throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(b)) {
            out.write(data);
        }
        return b.toByteArray();
    }

    private static Path copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
        return to;
    }

    /** A training config of a tiny random model on the test pairs, with extra YAML lines. */
    private static String config(String name, String... lines) throws IOException {
        Path cfg = tmp.resolve(name + ".yaml");
        List<String> all = new ArrayList<>(List.of(
                "random_model: {architecture: llama, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2,"
                        + " num_key_value_heads: 1, vocab_size: 32000, bos_token_id: 1, eos_token_id: 2}",
                "tokenizer_name_or_path: " + TestRepo.path("tokenizers/mistral"),
                "dataset_path: " + pairs,
                "dataset_format: jsonl",
                "max_length: 64",
                "max_steps: 1",
                "per_device_train_batch_size: 2",
                "gradient_accumulation_steps: 1",
                "progress_bar: false",
                "plots: false",
                "output_dir: " + tmp.resolve("runs/" + name)));
        for (String l : lines) {
            String key = l.substring(0, l.indexOf(':'));
            all.removeIf(x -> x.startsWith(key + ":"));
            all.add(l);
        }
        Files.write(cfg, all, StandardCharsets.UTF_8);
        return cfg.toString();
    }

    private static String ids(int n) {
        return IntStream.range(0, n).mapToObj(i -> "1").collect(Collectors.joining(","));
    }

    static Stream<Arguments> cases() throws IOException {
        String gz = tmp.resolve("gz").toString();
        return Stream.of(
                Arguments.of("num_key_value_heads 0", List.of("score", "--model", tmp.resolve("kv-0").toString(), "--ids", "1,2"),
                        List.of(tmp.resolve("kv-0/config.json") + ": field 'num_key_value_heads' must be a positive integer, got 0")),
                Arguments.of("num_key_value_heads abc", List.of("score", "--model", tmp.resolve("kv-abc").toString(), "--ids", "1,2"),
                        List.of(tmp.resolve("kv-abc/config.json") + ": field 'num_key_value_heads' must be a positive integer, got \"abc\"")),
                Arguments.of("truncated .gz", List.of("data", "inspect", "--format", "jsonl", "--path", gz + "/truncated.jsonl.gz"),
                        List.of(gz + "/truncated.jsonl.gz", "ends early")),
                Arguments.of("non-gzip .gz", List.of("data", "inspect", "--format", "jsonl", "--path", gz + "/plain.jsonl.gz"),
                        List.of(gz + "/plain.jsonl.gz: not gzip data")),
                Arguments.of("empty .gz", List.of("data", "inspect", "--format", "jsonl", "--path", gz + "/empty.jsonl.gz"),
                        List.of(gz + "/empty.jsonl.gz: ends early")),
                Arguments.of("truncated tokenizer.json.gz", List.of("data", "inspect", "--format", "jsonl", "--path", pairs.toString(), "--tokenizer",
                        tmp.resolve("tokenizer-truncated-gz").toString()), List.of(tmp.resolve("tokenizer-truncated-gz/tokenizer.json.gz") + ": ends early")),
                Arguments.of("unknown dataset_format", List.of("train", "--config", config("format", "dataset_format: csv")),
                        List.of("format.yaml: unknown dataset format 'csv'; valid: hh-rlhf, ultrafeedback, ultrafeedback-raw, jsonl, kto")),
                Arguments.of("missing dataset_path", List.of("train", "--config", config("nodata", "dataset_path: " + tmp.resolve("missing.jsonl"))),
                        List.of(tmp.resolve("missing.jsonl") + ": no such file or folder")),
                Arguments.of("vocabulary smaller than the tokenizer's ids (train)",
                        List.of("train", "--config", config("vocab", "random_model: {architecture: llama, hidden_size: 16, intermediate_size: 32,"
                                + " num_hidden_layers: 1, num_attention_heads: 2, vocab_size: 100}")),
                        List.of("token id", "outside the model's vocabulary (vocab_size 100", "tokenizer")),
                Arguments.of("vocabulary smaller than the tokenizer's ids (eval)", List.of("eval", "--model", stories.toString(), "--data", pairs.toString(),
                        "--format", "jsonl", "--tokenizer", TestRepo.path("tokenizers/mistral").toString(), "--max-length", "64"),
                        List.of("token id", "outside the model's vocabulary (vocab_size 512", "tokenizer")),
                Arguments.of("non-JSON tokenizer.json", List.of("data", "inspect", "--format", "jsonl", "--path", pairs.toString(), "--tokenizer",
                        tmp.resolve("tokenizer-not-json").toString()), List.of(tmp.resolve("tokenizer-not-json/tokenizer.json") + ": not a valid tokenizer")),
                Arguments.of("30k ids", List.of("score", "--model", stories.toString(), "--ids", ids(30_000)),
                        List.of("30000 ids", "max_position_embeddings (512)")),
                Arguments.of("100k ids", List.of("generate", "--model", stories.toString(), "--ids", ids(100_000)),
                        List.of("100000 tokens", "max_position_embeddings (512)")),
                Arguments.of("batch size 1e9", List.of("train", "--config", config("batch", "per_device_train_batch_size: 1e9")),
                        List.of("batch.yaml", "per_device_train_batch_size", "integer")),
                Arguments.of("weights file is a folder", List.of("score", "--model", tmp.resolve("weights-folder").toString(), "--ids", "1,2"),
                        List.of(tmp.resolve("weights-folder/model.safetensors") + ": is a folder, not a file")),
                Arguments.of("config is a folder", List.of("train", "--config", tmp.toString()),
                        List.of(tmp + ": is a folder, not a file")),
                Arguments.of("checkpoint-99999999999", List.of("train", "--resume", "--config", config("ckpt", "output_dir: " + tmp.resolve("huge-checkpoint"))),
                        List.of(tmp.resolve("huge-checkpoint/checkpoint-99999999999").toString(), "not a checkpoint dgpo wrote")),
                Arguments.of("empty --ids item", List.of("score", "--model", stories.toString(), "--ids", "1,,2"),
                        List.of("--ids has an empty item", "'1,,2'")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void userErrorIsOneSentenceWithExitCode2(String name, List<String> args, List<String> expected) {
        TestRepo.Run r = TestRepo.cli(args.toArray(new String[0]));
        assertEquals(DgpoCli.USER_ERROR, r.code(), name + ": exit code; stderr:\n" + r.err());
        String err = r.err().strip();
        assertTrue(err.startsWith("error: "), name + ": starts with error:\n" + err);
        for (String part : expected) {
            assertTrue(err.contains(part), name + ": expected '" + part + "' in:\n" + err);
        }
        assertNoStackTrace(name, r);
        assertFalse(err.contains("swordfish"), name + ": the message quotes the file's content:\n" + err);
    }

    static void assertNoStackTrace(String name, TestRepo.Run r) {
        for (String text : List.of(r.out(), r.err())) {
            assertFalse(text.contains("\tat ") || text.contains("Exception:") || text.contains("Caused by"), name + ": a stack trace was printed:\n" + text);
        }
    }

    @Test
    void everyCommandAnswersAUserErrorWithOneLine() {
        String missing = tmp.resolve("no-such-thing").toString();
        List<List<String>> commands = List.of(
                List.of("train", "--config", missing + ".yaml"),
                List.of("eval", "--model", missing, "--data", pairs.toString()),
                List.of("generate", "--model", missing, "--ids", "1"),
                List.of("score", "--model", missing, "--ids", "1,2"),
                List.of("margin", "--loss", "dgpo", "--input", missing + ".jsonl"),
                List.of("data", "inspect", "--format", "jsonl", "--path", missing + ".jsonl"),
                List.of("plot", "--run", missing),
                List.of("bench", "logprobs", "--batch", "0"),
                List.of("bench", "data", "--path", missing + ".jsonl", "--tokenizer", TestRepo.path("tokenizers/mistral").toString()));
        for (List<String> args : commands) {
            TestRepo.Run r = TestRepo.cli(args.toArray(new String[0]));
            String name = String.join(" ", args);
            assertEquals(DgpoCli.USER_ERROR, r.code(), name + ":\n" + r.err());
            assertTrue(r.err().startsWith("error: ") && r.err().strip().lines().count() == 1, name + ": one error line:\n" + r.err());
            assertTrue(r.err().contains(missing) || r.err().contains("--batch must be >= 1, got 0"), name + ": names what is missing:\n" + r.err());
            assertNoStackTrace(name, r);
        }
    }

    @Test
    void debugPrintsTheStackTrace() {
        TestRepo.Run r = TestRepo.cli("--debug", "score", "--model", tmp.resolve("kv-0").toString(), "--ids", "1,2");
        assertEquals(DgpoCli.USER_ERROR, r.code(), r.err());
        assertTrue(r.err().contains("error: "), r.err());
        assertTrue(r.err().contains("\tat io.github.dgpo"), "--debug shows where: " + r.err());
        TestRepo.Run after = TestRepo.cli("score", "--model", tmp.resolve("kv-0").toString(), "--ids", "1,2", "--debug");
        assertEquals(DgpoCli.USER_ERROR, after.code(), after.err());
        assertTrue(after.err().contains("\tat io.github.dgpo"), "--debug after the command name: " + after.err());
    }
}
