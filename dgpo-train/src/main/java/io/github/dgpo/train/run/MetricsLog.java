package io.github.dgpo.train.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

/**
 * {@code metrics.jsonl}: one JSON object per logging step (and per evaluation, keys prefixed
 * {@code eval_}), flushed line by line so a crash loses nothing logged. Non-finite values are
 * written as {@code null}.
 */
public final class MetricsLog implements AutoCloseable {

    /** The file name inside the run folder. */
    public static final String FILE = "metrics.jsonl";

    private static final ObjectMapper JSON = new ObjectMapper();
    private final BufferedWriter out;

    /**
     * Opens the log for appending.
     *
     * @param runDir the run folder
     * @throws IOException if it cannot be opened
     */
    public MetricsLog(Path runDir) throws IOException {
        this.out = Files.newBufferedWriter(runDir.resolve(FILE), StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
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
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
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
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
            if (!line.isBlank() && JSON.readTree(line).path("step").asLong(Long.MAX_VALUE) <= step) {
                kept.add(line);
            }
        }
        Path tmp = runDir.resolve(FILE + ".tmp");
        Files.write(tmp, kept, StandardCharsets.UTF_8);
        Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
