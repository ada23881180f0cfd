package io.github.dgpo.data.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.dgpo.core.util.Hashes;
import io.github.dgpo.core.util.UserCache;
import io.github.dgpo.data.RepoFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where a decompressed {@code tokenizer.json.gz} is kept (the user's private cache, never the
 * shared temporary folder), that a damaged or altered copy is never loaded, and that broken or
 * special tokenizer files fail naming the file.
 */
class TokenizerFilesTest {

    @TempDir
    Path tmp;

    private String previous;

    @BeforeEach
    void privateCache() {
        previous = System.getProperty(UserCache.PROPERTY);
        System.setProperty(UserCache.PROPERTY, tmp.resolve("cache").toString());
    }

    @AfterEach
    void restore() {
        if (previous == null) {
            System.clearProperty(UserCache.PROPERTY);
        } else {
            System.setProperty(UserCache.PROPERTY, previous);
        }
    }

    private static List<Path> cached(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().collect(Collectors.toList());
        }
    }

    private static byte[] gunzip(Path gz) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
            return in.readAllBytes();
        }
    }

    @Test
    void theDecompressedCopyLivesInThePrivateCacheUnderItsHashes() throws Exception {
        Path gz = RepoFiles.path("tokenizers/mistral/tokenizer.json.gz");
        List<Path> sharedBefore = cached(Paths.get(System.getProperty("java.io.tmpdir")));
        long[] ids;
        try (TextTokenizer t = TextTokenizer.load(gz.getParent())) {
            ids = t.encode("Hello world");
        }
        Path dir = tmp.resolve("cache/tokenizers");
        List<Path> files = cached(dir);
        assertEquals(1, files.size(), files.toString());
        byte[] json = gunzip(gz);
        assertEquals("tokenizer-" + Hashes.sha256(Files.readAllBytes(gz)) + "-" + Hashes.sha256(json) + ".json", files.get(0).getFileName().toString());
        assertArrayEquals(json, Files.readAllBytes(files.get(0)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(files.get(0))));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("cache"))));
        List<Path> sharedAfter = cached(Paths.get(System.getProperty("java.io.tmpdir")));
        sharedAfter.removeAll(sharedBefore);
        assertFalse(sharedAfter.stream().anyMatch(p -> p.getFileName().toString().startsWith("dgpo-tokenizer")), "written to the shared temporary folder: " + sharedAfter);

        // an altered copy (another vocabulary, same length) is replaced, not loaded
        byte[] altered = json.clone();
        int at = new String(json, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("\"Hello\"");
        assumeTrue(at > 0);
        altered[at + 1] = 'J';
        Files.write(files.get(0), altered);
        try (TextTokenizer t = TextTokenizer.load(gz.getParent())) {
            assertArrayEquals(ids, t.encode("Hello world"));
        }
        assertArrayEquals(json, Files.readAllBytes(cached(dir).get(0)));
    }

    @Test
    void aCacheFolderOthersCanWriteIsRefused() throws Exception {
        Path cache = Files.createDirectories(tmp.resolve("cache"));
        Files.setPosixFilePermissions(cache, PosixFilePermissions.fromString("rwxrwxrwx"));
        IOException e = assertThrows(IOException.class, () -> TextTokenizer.load(RepoFiles.path("tokenizers/mistral")).close());
        assertTrue(e.getMessage().startsWith(cache + ": the cache folder is writable by other users (rwxrwxrwx)"), e.getMessage());
    }

    @Test
    void brokenTokenizerFilesAreNamedWithoutQuotingThem() throws Exception {
        Path notJson = Files.createDirectories(tmp.resolve("not-json"));
        Files.writeString(notJson.resolve("tokenizer.json"), "swordfish");
        String msg = assertThrows(IOException.class, () -> TextTokenizer.load(notJson).close()).getMessage();
        assertTrue(msg.startsWith(notJson.resolve("tokenizer.json") + ": not a valid tokenizer (error at line 1, column 1)"), msg);
        assertFalse(msg.contains("swordfish"), msg);

        Path cut = Files.createDirectories(tmp.resolve("cut"));
        byte[] gz = Files.readAllBytes(RepoFiles.path("tokenizers/mistral/tokenizer.json.gz"));
        Files.write(cut.resolve("tokenizer.json.gz"), Arrays.copyOf(gz, gz.length / 2));
        msg = assertThrows(IOException.class, () -> TextTokenizer.load(cut).close()).getMessage();
        assertEquals(cut.resolve("tokenizer.json.gz") + ": ends early (truncated?): copy the file again", msg);
        assertEquals(List.of(), cached(tmp.resolve("cache/tokenizers")), "no partial copy is left");

        Path config = Files.createDirectories(tmp.resolve("config"));
        Files.copy(RepoFiles.path("tokenizers/mistral/tokenizer.json.gz"), config.resolve("tokenizer.json.gz"));
        Files.writeString(config.resolve("tokenizer_config.json"), "{\"bos_token\": swordfish}");
        msg = assertThrows(IOException.class, () -> PairTokenizer.fromFolder(config, TokenizeOptions.DEFAULT).close()).getMessage();
        assertTrue(msg.startsWith(config.resolve("tokenizer_config.json") + ": not valid JSON at line 1, column"), msg);
        assertFalse(msg.contains("swordfish"), msg);
    }

    /** A broken link under either name still counts as the folder's tokenizer, so loading names it instead of going on without one. */
    @Test
    void aBrokenLinkIsATokenizerThatFailsToLoadByName() throws Exception {
        for (String name : List.of("tokenizer.json", "tokenizer.json.gz")) {
            Path dir = Files.createDirectories(tmp.resolve("link-" + name));
            Path link = Files.createSymbolicLink(dir.resolve(name), tmp.resolve("nowhere-" + name));
            assertTrue(TextTokenizer.exists(dir), name);
            NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> TextTokenizer.load(dir).close());
            assertEquals(link.toString(), e.getFile(), name);
        }
        assertFalse(TextTokenizer.exists(Files.createDirectories(tmp.resolve("empty"))));
    }

    @Test
    void aFifoTokenizerIsRefusedWithoutBlocking() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("fifo"));
        Process mk = new ProcessBuilder("mkfifo", dir.resolve("tokenizer.json").toString()).start();
        assumeTrue(mk.waitFor() == 0, "needs mkfifo");
        String msg = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(IOException.class, () -> TextTokenizer.load(dir).close())).getMessage();
        assertEquals(dir.resolve("tokenizer.json") + ": not a regular file (a FIFO, device or socket); dgpo reads only regular files", msg);
    }
}
