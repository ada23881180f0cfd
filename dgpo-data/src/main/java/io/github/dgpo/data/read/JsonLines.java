package io.github.dgpo.data.read;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.data.BadRowException;
import io.github.dgpo.data.DataFormatException;
import io.github.dgpo.data.DropReasons;
import io.github.dgpo.data.ReadReport;
import io.github.dgpo.data.Source;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** Iterates the JSON objects of a {@code .jsonl} or {@code .jsonl.gz} file, one per non-blank line. */
final class JsonLines {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Receives each parsed row. */
    interface RowHandler {
        void accept(JsonNode row, Source source);
    }

    private JsonLines() {}

    /**
     * Reads every row; rows the handler rejects with a {@link BadRowException} (and lines that
     * are not JSON objects) are counted in the report.
     */
    static void forEach(Path file, ReadReport report, RowHandler handler) {
        if (!Files.isRegularFile(file)) {
            throw new DataFormatException(file + ": no such file");
        }
        try (InputStream raw = Files.newInputStream(file);
                InputStream in = file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16)) {
            String line;
            long n = 0;
            while ((line = reader.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                report.countRead();
                Source source = new Source(file.toString(), n);
                try {
                    handler.accept(parse(line), source);
                } catch (BadRowException e) {
                    report.drop(source, e);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    static JsonNode parse(String line) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new BadRowException(DropReasons.MALFORMED_JSON, e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new BadRowException(DropReasons.MALFORMED_JSON, "not a JSON object");
        }
        return node;
    }
}
