package io.github.dgpo.train.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code metrics.jsonl} after a process was killed mid-write, and when a line is damaged. */
class MetricsLogTest {

    @TempDir
    Path run;

    private Path file(String text) throws IOException {
        return Files.writeString(run.resolve(MetricsLog.FILE), text, StandardCharsets.UTF_8);
    }

    @Test
    void aTornLastLineIsDroppedSoAResumeCanContinue() throws Exception {
        file("{\"step\":1,\"loss\":0.5}\n{\"step\":2,\"loss\":0.4}\n{\"step\":3,\"lo");
        assertEquals(2, MetricsLog.read(run).size());
        MetricsLog.truncateAfter(run, 2);
        assertEquals("{\"step\":1,\"loss\":0.5}\n{\"step\":2,\"loss\":0.4}\n", Files.readString(run.resolve(MetricsLog.FILE)));
        try (MetricsLog log = new MetricsLog(run)) {
            log.write(Map.of("step", 3L));
        }
        assertEquals(List.of(1L, 2L, 3L), MetricsLog.read(run).stream().map(l -> l.get("step").asLong()).toList());
    }

    @Test
    void appendingAfterATornLineStartsOnAFreshLine() throws Exception {
        file("{\"step\":1}\n{\"step\":2,\"lo");
        try (MetricsLog log = new MetricsLog(run)) {
            log.write(Map.of("step", 2L));
        }
        assertEquals("{\"step\":1}\n{\"step\":2}\n", Files.readString(run.resolve(MetricsLog.FILE)));
    }

    @Test
    void aCompleteLastLineWithoutNewlineIsKept() throws Exception {
        file("{\"step\":1}\n{\"step\":2}");
        assertEquals(2, MetricsLog.read(run).size());
        try (MetricsLog log = new MetricsLog(run)) {
            log.write(Map.of("step", 3L));
        }
        assertEquals("{\"step\":1}\n{\"step\":2}\n{\"step\":3}\n", Files.readString(run.resolve(MetricsLog.FILE)));
    }

    @Test
    void aDamagedLineElsewhereIsAnErrorNamingFileAndLine() throws Exception {
        Path f = file("{\"step\":1}\n{\"step\":2,swordfish}\n{\"step\":3}\n");
        for (IOException e : List.of(assertThrows(IOException.class, () -> MetricsLog.read(run)), assertThrows(IOException.class, () -> MetricsLog.truncateAfter(run, 3)))) {
            assertTrue(e.getMessage().startsWith(f + ":2: not valid JSON at line 1, column 11"), e.getMessage());
            assertTrue(!e.getMessage().contains("swordfish"), e.getMessage());
        }
        Path torn = file("{\"step\":1}\n{\"step\":2,\"x\"\n");
        IOException e = assertThrows(IOException.class, () -> MetricsLog.read(run));
        assertTrue(e.getMessage().startsWith(torn + ":2: "), "a broken last line that was finished with a newline is damage, not a torn write: " + e.getMessage());
    }
}
