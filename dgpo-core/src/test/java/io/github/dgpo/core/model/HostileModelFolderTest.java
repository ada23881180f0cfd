package io.github.dgpo.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.core.EngineManagerTest;
import io.github.dgpo.core.safetensors.DType;
import io.github.dgpo.core.safetensors.SafetensorsCheckpoint;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model folders built to hurt: special files where files are expected, oversized and
 * non-JSON configs, weights holding NaN or infinity, and symlinked tokenizer files. Each must
 * fail fast with a sentence naming the file (and tensor), without quoting the file's content.
 */
class HostileModelFolderTest extends EngineManagerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Path saved(String name) throws IOException {
        Path dir = tmp.resolve(name);
        try (CausalLm model = CausalLm.random(ModelConfig.builder(Architecture.LLAMA).set("vocab_size", 40).build(), 5, manager)) {
            model.save(dir, DType.F32, Long.MAX_VALUE, null);
        }
        return dir;
    }

    /** The load error, which must come within seconds (a FIFO must not block). */
    private static String loadError(Path dir) {
        return assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> assertThrows(IOException.class, () -> CausalLm.load(dir, manager).close()).getMessage());
    }

    static void mkfifo(Path p) throws Exception {
        Process mk = new ProcessBuilder("mkfifo", p.toString()).start();
        assumeTrue(mk.waitFor() == 0, "needs mkfifo");
    }

    @Test
    void fifoOrDeviceInsteadOfAFileIsRefusedWithoutBlocking() throws Exception {
        Path dir = saved("fifo-config");
        Files.delete(dir.resolve("config.json"));
        mkfifo(dir.resolve("config.json"));
        String msg = loadError(dir);
        assertTrue(msg.contains(dir.resolve("config.json") + ": not a regular file"), msg);

        Path weights = saved("fifo-weights");
        Files.delete(weights.resolve("model.safetensors"));
        mkfifo(weights.resolve("model.safetensors"));
        msg = loadError(weights);
        assertTrue(msg.contains(weights.resolve("model.safetensors") + ": not a regular file"), msg);

        assumeTrue(Files.exists(Paths.get("/dev/zero")));
        Path zero = saved("zero");
        Files.delete(zero.resolve("model.safetensors"));
        Files.createSymbolicLink(zero.resolve("model.safetensors"), Paths.get("/dev/zero"));
        msg = loadError(zero);
        assertTrue(msg.contains(zero.resolve("model.safetensors") + ": not a regular file"), msg);
        Files.delete(zero.resolve("config.json"));
        Files.createSymbolicLink(zero.resolve("config.json"), Paths.get("/dev/zero"));
        msg = loadError(zero);
        assertTrue(msg.contains(zero.resolve("config.json") + ": not a regular file"), msg);
    }

    @Test
    void aFolderWhereAFileBelongsIsNamed() throws Exception {
        Path dir = saved("folders");
        Files.createDirectories(dir.resolve(SafetensorsCheckpoint.INDEX));
        String msg = loadError(dir);
        assertTrue(msg.contains(dir.resolve(SafetensorsCheckpoint.INDEX) + ": is a folder, not a file"), msg);
        Files.delete(dir.resolve(SafetensorsCheckpoint.INDEX));
        Files.delete(dir.resolve("config.json"));
        Files.createDirectories(dir.resolve("config.json"));
        msg = loadError(dir);
        assertTrue(msg.contains(dir.resolve("config.json") + ": is a folder, not a file"), msg);
    }

    @Test
    void anOversizedConfigIsRefusedBeforeReading() throws Exception {
        Path dir = saved("big");
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("config.json").toFile(), "rw")) {
            f.setLength(64L << 20); // sparse: 64 MiB of NULs
        }
        String msg = loadError(dir);
        assertTrue(msg.contains(dir.resolve("config.json") + ": is 64.0 MiB, more than the 16.0 MiB a JSON config may be"), msg);
    }

    @Test
    void jsonErrorsNameFileAndPositionButQuoteNothing() throws Exception {
        Path dir = saved("secret");
        Files.writeString(dir.resolve("config.json"), "{\n  \"hidden_size\": 32,\n  swordfish-secret\n}");
        String msg = loadError(dir);
        assertTrue(msg.contains(dir.resolve("config.json") + ": not valid JSON at line 3, column"), msg);
        assertFalse(msg.contains("swordfish"), "quotes the file: " + msg);

        Path st = saved("secret-header");
        byte[] header = "{\"swordfish-secret\" 1}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).put(header);
        Files.write(st.resolve("model.safetensors"), b.array());
        msg = loadError(st);
        assertTrue(msg.contains(st.resolve("model.safetensors") + ": header is not valid JSON at line 1, column"), msg);
        assertFalse(msg.contains("swordfish"), "quotes the file: " + msg);

        Path idx = saved("secret-index");
        Files.writeString(idx.resolve(SafetensorsCheckpoint.INDEX), "swordfish-secret");
        msg = loadError(idx);
        assertTrue(msg.contains(idx.resolve(SafetensorsCheckpoint.INDEX) + ": not valid JSON at line 1, column"), msg);
        assertFalse(msg.contains("swordfish"), "quotes the file: " + msg);
    }

    @Test
    void nonFiniteWeightsAreRefusedNamingTheTensor() throws Exception {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            Path dir = saved("nan" + Float.floatToRawIntBits(bad));
            Path weights = dir.resolve("model.safetensors");
            long offset;
            try (io.github.dgpo.core.safetensors.SafetensorsFile f = io.github.dgpo.core.safetensors.SafetensorsFile.open(weights)) {
                offset = Files.size(weights) - f.tensors().values().stream().mapToLong(t -> t.length()).sum()
                        + f.tensors().get("model.layers.1.mlp.up_proj.weight").begin();
            }
            try (FileChannel ch = FileChannel.open(weights, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(bad).flip(), offset + 4 * 7);
            }
            String msg = loadError(dir);
            assertTrue(msg.contains(weights + ": tensor 'model.layers.1.mlp.up_proj.weight' holds a non-finite value"), msg);
            assertTrue(msg.contains("element 7"), msg);
        }
    }

    @Test
    void tokenizerFilesAreCopiedOnlyWhenTheyAreRegularFilesInsideTheTokenizerFolder() throws Exception {
        Path secret = Files.writeString(tmp.resolve("secret.txt"), "swordfish");
        Path tok = Files.createDirectories(tmp.resolve("tok"));
        Files.writeString(tok.resolve("tokenizer.json"), "{\"x\":1}");
        Files.writeString(tok.resolve("real-merges.txt"), "a b");
        Files.createSymbolicLink(tok.resolve("merges.txt"), Paths.get("real-merges.txt"));
        Files.createSymbolicLink(tok.resolve("vocab.json"), secret);
        Files.createSymbolicLink(tok.resolve("added_tokens.json"), Paths.get("../secret.txt"));
        boolean devices = Files.exists(Paths.get("/dev/zero"));
        if (devices) {
            Files.createSymbolicLink(tok.resolve("special_tokens_map.json"), Paths.get("/dev/zero"));
        }
        assertEquals(devices ? 3 : 2, CausalLm.unsafeTokenizerFiles(tok).size(), CausalLm.unsafeTokenizerFiles(tok).toString());
        assertTrue(CausalLm.unsafeTokenizerFiles(tok).contains(tok.resolve("vocab.json") + ": links to " + secret.toRealPath() + ", outside " + tok.toRealPath()),
                CausalLm.unsafeTokenizerFiles(tok).toString());
        Path out = tmp.resolve("out");
        try (CausalLm model = CausalLm.random(ModelConfig.builder(Architecture.LLAMA).set("vocab_size", 40).build(), 5, manager)) {
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> model.save(out, DType.F32, Long.MAX_VALUE, tok));
        }
        assertEquals("{\"x\":1}", Files.readString(out.resolve("tokenizer.json")));
        assertEquals("a b", Files.readString(out.resolve("merges.txt")), "a link inside the folder is followed");
        assertFalse(Files.exists(out.resolve("vocab.json")));
        assertFalse(Files.exists(out.resolve("added_tokens.json")));
        assertFalse(Files.exists(out.resolve("special_tokens_map.json")));
        try (java.util.stream.Stream<Path> files = Files.walk(out)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                assertFalse(Files.isRegularFile(p) && Files.size(p) < 1000 && Files.readString(p, java.nio.charset.StandardCharsets.ISO_8859_1).contains("swordfish"), p.toString());
            }
        }
    }

    @Test
    void idsOutsideTheVocabularyAreNamedNotANativeIndexError() throws Exception {
        try (CausalLm model = CausalLm.random(ModelConfig.builder(Architecture.LLAMA).set("vocab_size", 40).build(), 5, manager);
                NDManager m = manager.newSubManager()) {
            for (long bad : new long[] {40, 31999, -1}) {
                String msg = assertThrows(IllegalArgumentException.class,
                        () -> model.hiddenStates(m.create(new long[][] {{1, bad, 2}}), m.create(new long[][] {{1, 1, 1}}))).getMessage();
                assertTrue(msg.startsWith("token id " + bad + " is outside the model's vocabulary (vocab_size 40, ids 0 to 39)"), msg);
                // the host form (generation) checks before anything reaches the device
                String host = assertThrows(IllegalArgumentException.class,
                        () -> model.hiddenStates(new long[][] {{1, bad, 2}}, new long[][] {{1, 1, 1}}, null, m)).getMessage();
                assertEquals(msg, host);
            }
            assertEquals(3, model.hiddenStates(m.create(new long[][] {{0, 39, 2}}), m.create(new long[][] {{1, 1, 1}})).getShape().get(1));
            assertArrayEquals(model.hiddenStates(m.create(new long[][] {{0, 39, 2}}), m.create(new long[][] {{1, 1, 1}})).toFloatArray(),
                    model.hiddenStates(new long[][] {{0, 39, 2}}, new long[][] {{1, 1, 1}}, null, m).toFloatArray());
            assertEquals("row 1: every row of ids and of the attention mask must be 3 tokens wide", assertThrows(IllegalArgumentException.class,
                    () -> model.hiddenStates(new long[][] {{0, 1, 2}, {3}}, new long[][] {{1, 1, 1}, {1, 1, 1}}, null, m)).getMessage());
            assertEquals("row 0: every row of ids and of the attention mask must be 3 tokens wide", assertThrows(IllegalArgumentException.class,
                    () -> model.hiddenStates(new long[][] {{0, 1, 2}}, new long[][] {{1, 1}}, null, m)).getMessage());
            assertEquals("ids and attention mask differ in rows: 1 against 2", assertThrows(IllegalArgumentException.class,
                    () -> model.hiddenStates(new long[][] {{0, 1, 2}}, new long[][] {{1, 1, 1}, {1, 1, 1}}, null, m)).getMessage());
        }
    }
}
