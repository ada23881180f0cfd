package io.github.dgpo.train.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dgpo.core.util.InputFiles;
import io.github.dgpo.core.util.JsonFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads the {@code margin} command's JSONL input: one object per line with {@code
 * chosen_logp_sum}, {@code rejected_logp_sum}, {@code chosen_tokens}, {@code rejected_tokens}
 * and, for losses with a reference, {@code ref_chosen_logp_sum}, {@code ref_rejected_logp_sum};
 * with WPO weighting {@code chosen_alignment}, {@code rejected_alignment} (sums of {@code log p
 * - log Σ p²} over each completion).
 * Blank lines are skipped; any other defect is a {@link UserInputException} naming the file,
 * the line and the field.
 */
final class MarginRows {

    static final String CHOSEN = "chosen_logp_sum";
    static final String REJECTED = "rejected_logp_sum";
    static final String CHOSEN_TOKENS = "chosen_tokens";
    static final String REJECTED_TOKENS = "rejected_tokens";
    static final String REF_CHOSEN = "ref_chosen_logp_sum";
    static final String REF_REJECTED = "ref_rejected_logp_sum";
    static final String CHOSEN_ALIGNMENT = "chosen_alignment";
    static final String REJECTED_ALIGNMENT = "rejected_alignment";

    /** Accepts {@code NaN}/{@code Infinity} literals so they are reported as non-finite. */
    static final ObjectMapper JSON =
            JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    /** One parsed line. */
    record Row(long line, ObjectNode json, double sw, double sl, double nw, double nl, double rw, double rl, double aw, double al) {}

    private final Path path;
    private final boolean reference;
    private final boolean alignment;

    MarginRows(Path path, boolean reference, boolean alignment) {
        this.path = path;
        this.reference = reference;
        this.alignment = alignment;
    }

    /**
     * Streams the rows in batches of at most {@code batchSize}.
     *
     * @param batchSize rows per batch ({@code Integer.MAX_VALUE}: all rows in one batch)
     * @param sink receives each batch
     * @return the number of rows read
     */
    long forEachBatch(int batchSize, Consumer<List<Row>> sink) {
        long count = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(InputFiles.open(path), StandardCharsets.UTF_8))) {
            List<Row> batch = new ArrayList<>(Math.min(batchSize, 1024));
            String text;
            long line = 0;
            while ((text = in.readLine()) != null) {
                line++;
                if (text.isBlank()) {
                    continue;
                }
                batch.add(parse(line, text));
                count++;
                if (batch.size() == batchSize) {
                    sink.accept(batch);
                    batch = new ArrayList<>(Math.min(batchSize, 1024));
                }
            }
            if (!batch.isEmpty()) {
                sink.accept(batch);
            }
        } catch (NoSuchFileException e) {
            throw new UserInputException(path + ": no such file");
        } catch (IOException e) {
            throw new UserInputException(e.getMessage() != null && e.getMessage().startsWith(path.toString()) ? e.getMessage() : path + ": " + InputFiles.reason(e), e);
        }
        return count;
    }

    private Row parse(long line, String text) {
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw error(line, "malformed JSON: " + JsonFiles.describe(e));
        }
        if (!(node instanceof ObjectNode obj)) {
            throw error(line, "expected a JSON object, got " + (node == null ? "nothing" : node.getNodeType().toString().toLowerCase()));
        }
        double sw = logp(line, obj, CHOSEN);
        double sl = logp(line, obj, REJECTED);
        double nw = tokens(line, obj, CHOSEN_TOKENS);
        double nl = tokens(line, obj, REJECTED_TOKENS);
        double rw = reference ? logp(line, obj, REF_CHOSEN) : 0;
        double rl = reference ? logp(line, obj, REF_REJECTED) : 0;
        double aw = alignment ? number(line, obj, CHOSEN_ALIGNMENT) : 0;
        double al = alignment ? number(line, obj, REJECTED_ALIGNMENT) : 0;
        return new Row(line, obj, sw, sl, nw, nl, rw, rl, aw, al);
    }

    private double number(long line, ObjectNode obj, String field) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            throw error(line, "field '" + field + "' is missing");
        }
        if (!v.isNumber()) {
            throw error(line, "field '" + field + "' must be a number, got " + v);
        }
        double d = v.doubleValue();
        if (!Double.isFinite(d)) {
            throw error(line, "field '" + field + "' is not finite (" + v.asText() + ")");
        }
        return d;
    }

    private double logp(long line, ObjectNode obj, String field) {
        double d = number(line, obj, field);
        if (d > 0) {
            throw error(line, "field '" + field + "' is a log-probability sum and must be <= 0, got " + d);
        }
        return d;
    }

    private double tokens(long line, ObjectNode obj, String field) {
        double d = number(line, obj, field);
        if (d < 1 || d != Math.rint(d)) {
            throw error(line, "field '" + field + "' must be a whole number >= 1, got " + obj.get(field));
        }
        return d;
    }

    private UserInputException error(long line, String message) {
        return new UserInputException(path + ":" + line + ": " + message);
    }
}
