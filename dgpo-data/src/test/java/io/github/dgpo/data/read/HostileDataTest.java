package io.github.dgpo.data.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.dgpo.data.DataFormat;
import io.github.dgpo.data.DataFormatException;
import io.github.dgpo.data.Datasets;
import io.github.dgpo.data.DropReasons;
import io.github.dgpo.data.RepoFiles;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data files that are not what they claim: invalid UTF-8, a byte-order mark, Parquet file
 * names with glob characters, special files, and rows whose JSON is broken.
 */
class HostileDataTest {

    @TempDir
    Path tmp;

    private static final String ROW = "{\"prompt\": \"p%d\", \"chosen\": \"c%d\", \"rejected\": \"r%d\"}";

    private static Datasets.Spec spec(Path p, boolean strict) {
        return new Datasets.Spec(DataFormat.JSONL, p, null, strict, UltraFeedbackRawReader.Options.DEFAULT);
    }

    private static byte[] row(int i) {
        return (String.format(ROW, i, i, i) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void invalidUtf8IsADropReasonNotReplacementCharacters() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(row(1));
        b.write("{\"prompt\": \"caf".getBytes(StandardCharsets.UTF_8));
        b.write(new byte[] {(byte) 0xC3, (byte) 0x28}); // a broken two-byte sequence
        b.write("\", \"chosen\": \"a\", \"rejected\": \"b\"}\n".getBytes(StandardCharsets.UTF_8));
        b.write(row(3));
        Path f = tmp.resolve("latin.jsonl");
        Files.write(f, b.toByteArray());
        Datasets.Pairs pairs = Datasets.readPairs(spec(f, false));
        assertEquals(2, pairs.examples().size());
        assertEquals(3, pairs.report().read());
        assertEquals(1L, pairs.report().dropped().get(DropReasons.INVALID_UTF8));
        assertEquals(List.of(f + ":2: invalid UTF-8: byte 16 is not valid UTF-8"), pairs.report().locations().get(DropReasons.INVALID_UTF8));
        assertFalse(pairs.examples().stream().anyMatch(e -> e.prompt().toString().contains("\uFFFD")));
        DataFormatException strict = assertThrows(DataFormatException.class, () -> Datasets.readPairs(spec(f, true)));
        assertEquals(f + ":2: invalid UTF-8: byte 16 is not valid UTF-8", strict.getMessage());
    }

    @Test
    void aByteOrderMarkIsSkipped() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
        b.write(row(1));
        b.write(row(2));
        Path f = tmp.resolve("bom.jsonl");
        Files.write(f, b.toByteArray());
        Datasets.Pairs pairs = Datasets.readPairs(spec(f, true));
        assertEquals(2, pairs.examples().size());
        assertEquals("p1", pairs.examples().get(0).prompt().get(0).content());
    }

    @Test
    void crlfLineEndsAreKeptOutOfTheRows() throws Exception {
        Path f = tmp.resolve("crlf.jsonl");
        Files.writeString(f, String.format(ROW, 1, 1, 1) + "\r\n" + String.format(ROW, 2, 2, 2) + "\r\n");
        Datasets.Pairs pairs = Datasets.readPairs(spec(f, true));
        assertEquals(2, pairs.examples().size());
        assertEquals("r2", pairs.examples().get(1).rejected().content());
    }

    @Test
    void malformedRowsAreLocatedByColumnWithoutQuotingThem() throws Exception {
        Path f = tmp.resolve("broken.jsonl");
        Files.writeString(f, String.format(ROW, 1, 1, 1) + "\n{\"prompt\": swordfish}\n");
        Datasets.Pairs pairs = Datasets.readPairs(spec(f, false));
        String where = pairs.report().locations().get(DropReasons.MALFORMED_JSON).get(0);
        assertTrue(where.startsWith(f + ":2: malformed JSON: not valid JSON at line 1, column 12"), where);
        assertFalse(where.contains("swordfish"), where);
    }

    @Test
    void parquetFileNamesWithGlobCharactersAreReadExactly() throws Exception {
        Path parquet = RepoFiles.path("data/ultrafeedback-sample/parquet");
        Path test = parquet.resolve("test_prefs-00000-of-00001.parquet");
        Path train = parquet.resolve("train_prefs-00000-of-00001.parquet");
        Path dir = Files.createDirectories(tmp.resolve("x[1]"));
        // each name, read as a glob, would also match its sibling with 36 rows
        for (String[] pair : new String[][] {{"a*b.parquet", "aXYb.parquet"}, {"q?.parquet", "qZ.parquet"}, {"[1].parquet", "1.parquet"}}) {
            Files.copy(test, dir.resolve(pair[0]));
            Files.copy(train, dir.resolve(pair[1]));
            Files.createDirectories(tmp.resolve("x1"));
            Files.copy(train, tmp.resolve("x1").resolve(pair[0]));
            Datasets.Pairs pairs = Datasets.readPairs(new Datasets.Spec(DataFormat.ULTRAFEEDBACK, dir.resolve(pair[0]), null, true, UltraFeedbackRawReader.Options.DEFAULT));
            assertEquals(12, pairs.report().read(), pair[0] + " was read as a glob");
        }
    }

    @Test
    void specialFilesAreRefusedWithoutBlocking() throws Exception {
        Path fifo = tmp.resolve("pairs.jsonl");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assumeTrue(mk.waitFor() == 0, "needs mkfifo");
        DataFormatException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(DataFormatException.class, () -> Datasets.readPairs(spec(fifo, false))));
        assertEquals(fifo + ": not a regular file (a FIFO, device or socket); dgpo reads only regular files", e.getMessage());
    }

    @Test
    void brokenGzipIsNamed() throws Exception {
        Path plain = tmp.resolve("plain.jsonl.gz");
        Files.write(plain, row(1));
        assertEquals(plain + ": not gzip data, though the name ends in .gz", assertThrows(DataFormatException.class, () -> Datasets.readPairs(spec(plain, false))).getMessage());
        Path empty = tmp.resolve("empty.jsonl.gz");
        Files.write(empty, new byte[0]);
        assertEquals(empty + ": ends early (truncated?): copy the file again", assertThrows(DataFormatException.class, () -> Datasets.readPairs(spec(empty, false))).getMessage());
        byte[] whole = Files.readAllBytes(RepoFiles.hhRlhf());
        Path cut = tmp.resolve("cut.jsonl.gz");
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length / 2));
        String msg = assertThrows(DataFormatException.class, () -> Datasets.readPairs(new Datasets.Spec(DataFormat.HH_RLHF, cut, null, false, null))).getMessage();
        assertTrue(msg.matches(java.util.regex.Pattern.quote(cut.toString()) + ":\\d+: ends early \\(truncated\\?\\): copy the file again"), msg);
    }
}
