package io.github.dgpo.data.read;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.core.util.InputFiles;
import io.github.dgpo.core.util.JsonFiles;
import io.github.dgpo.data.BadRowException;
import io.github.dgpo.data.DataFormatException;
import io.github.dgpo.data.DropReasons;
import io.github.dgpo.data.ReadReport;
import io.github.dgpo.data.Source;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * Iterates the JSON objects of a {@code .jsonl} or {@code .jsonl.gz} file, one per non-blank
 * line. Lines are decoded strictly ({@link Utf8Lines}); a file that is not a regular file, not
 * gzip or cut short fails naming it.
 */
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
        InputStream in;
        try {
            in = InputFiles.openMaybeGzip(file);
        } catch (IOException e) {
            throw new DataFormatException(e.getMessage(), e);
        }
        long n = 0;
        try (in) {
            Utf8Lines lines = new Utf8Lines(in);
            while (lines.next()) {
                n++;
                Source source = new Source(file.toString(), n);
                String line;
                try {
                    line = lines.text();
                } catch (BadRowException e) {
                    report.countRead();
                    report.drop(source, e);
                    continue;
                }
                if (line.isBlank()) {
                    continue;
                }
                report.countRead();
                try {
                    handler.accept(parse(line), source);
                } catch (BadRowException e) {
                    report.drop(source, e);
                }
            }
        } catch (IOException e) {
            // the failure came while reading line n + 1
            throw new DataFormatException(file + ":" + (n + 1) + ": " + InputFiles.reason(e), e);
        }
    }

    static JsonNode parse(String line) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new BadRowException(DropReasons.MALFORMED_JSON, JsonFiles.describe(e));
        }
        if (node == null || !node.isObject()) {
            throw new BadRowException(DropReasons.MALFORMED_JSON, "not a JSON object");
        }
        return node;
    }
}
