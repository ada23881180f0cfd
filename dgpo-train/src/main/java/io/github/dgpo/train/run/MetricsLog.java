package io.github.dgpo.train.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dgpo.core.util.InputFiles;
import io.github.dgpo.core.util.JsonFiles;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code metrics.jsonl}: one JSON object per logging step (and per evaluation, keys prefixed
 * {@code eval_}), flushed line by line so a crash loses nothing logged. Non-finite values are
 * written as {@code null}.
 *
 * <p>A process killed while writing leaves an incomplete last line (no newline, not JSON): it
 * is dropped with a warning when the log is read, rewritten or appended to, so {@code --resume}
 * continues. A line that does not parse anywhere else is damage, and an error naming the file
 * and line.
 */
public final class MetricsLog implements AutoCloseable {

    /** The file name inside the run folder. */
    public static final String FILE = "metrics.jsonl";

    private static final Logger LOG = LoggerFactory.getLogger(MetricsLog.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BufferedWriter out;

    /**
     * Opens the log for appending.
     *
     * @param runDir the run folder
     * @throws IOException if it cannot be opened
     */
    public MetricsLog(Path runDir) throws IOException {
        Path f = runDir.resolve(FILE);
        if (Files.exists(f) && !endsWithNewline(f)) {
            // end the file on a complete line before appending (never glue a line to a torn one)
            rewrite(runDir, lines(f).stream().map(Line::text).toList());
        }
        this.out = Files.newBufferedWriter(f, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /**
     * Appends a line.
     *
     * @param metrics the values, in order
     */
    public void write(Map<String, ?> metrics) {
        ObjectNode o = JSON.createObjectNode();
        metrics.forEach((k, v) -> {
            if (v instanceof Double d) {
                if (Double.isFinite(d)) {
                    o.put(k, d);
                } else {
                    o.putNull(k);
                }
            } else if (v instanceof Number n) {
                o.put(k, n.longValue());
            } else {
                o.put(k, String.valueOf(v));
            }
        });
        try {
            out.write(JSON.writeValueAsString(o));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads a run's metric lines.
     *
     * @param runDir the run folder
     * @return the lines as JSON objects
     * @throws IOException if the file cannot be read
     */
    public static List<JsonNode> read(Path runDir) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        Path f = runDir.resolve(FILE);
        if (!Files.exists(f)) {
            return out;
        }
        for (Line line : lines(f)) {
            out.add(line.node());
        }
        return out;
    }

    /** One line of the file, as written and as parsed. */
    private record Line(String text, ObjectNode node) {}

    /**
     * The non-blank lines of the file, each parsed once; an incomplete last line is left out with
     * a warning.
     */
    private static List<Line> lines(Path f) throws IOException {
        String text = new String(InputFiles.readBounded(f, 1L << 30, "a metrics log"), StandardCharsets.UTF_8);
        String[] raw = text.split("\n", -1);
        List<Line> out = new ArrayList<>();
        for (int i = 0; i < raw.length; i++) {
            String line = raw[i];
            if (line.isBlank()) {
                continue;
            }
            boolean last = i == raw.length - 1; // no newline after it
            try {
                JsonNode node = JSON.readTree(line);
                if (!(node instanceof ObjectNode object)) {
                    throw new IOException(f + ":" + (i + 1) + ": not a JSON object");
                }
                out.add(new Line(line, object));
            } catch (JsonProcessingException e) {
                if (last) {
                    LOG.warn("{}: dropped an incomplete last line (line {}; the run was stopped while writing it)", f, i + 1);
                    continue;
                }
                throw new IOException(f + ":" + (i + 1) + ": " + JsonFiles.describe(e) + "; the file is damaged: repair or delete that line", e);
            }
        }
        return out;
    }

    private static boolean endsWithNewline(Path f) throws IOException {
        try (java.nio.channels.SeekableByteChannel ch = Files.newByteChannel(InputFiles.requireRegularFile(f))) {
            if (ch.size() == 0) {
                return true;
            }
            java.nio.ByteBuffer last = java.nio.ByteBuffer.allocate(1);
            ch.position(ch.size() - 1).read(last);
            return last.get(0) == '\n';
        }
    }

    private static void rewrite(Path runDir, List<String> lines) throws IOException {
        Path tmp = runDir.resolve(FILE + ".tmp");
        Files.write(tmp, lines, StandardCharsets.UTF_8);
        Files.move(tmp, runDir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Keeps only the lines of steps up to {@code step} (resuming from a checkpoint), atomically.
     *
     * @param runDir the run folder
     * @param step the checkpoint's step
     * @throws IOException if the file cannot be rewritten
     */
    public static void truncateAfter(Path runDir, long step) throws IOException {
        Path f = runDir.resolve(FILE);
        if (!Files.exists(f)) {
            return;
        }
        List<String> kept = new ArrayList<>();
        for (Line line : lines(f)) {
            if (line.node().path("step").asLong(Long.MAX_VALUE) <= step) {
                kept.add(line.text());
            }
        }
        rewrite(runDir, kept);
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
