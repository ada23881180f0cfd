package io.github.dgpo.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a reader or the tokenizer did with every row: rows read, examples kept, rows dropped per
 * reason (with the first locations of each), and pairs truncated. In {@code strict} mode the
 * first bad row fails with its location instead.
 */
public final class ReadReport {

    /** Locations remembered per reason. */
    public static final int EXAMPLES_PER_REASON = 5;

    private final boolean strict;
    private long read;
    private long kept;
    private long truncated;
    private final Map<String, Long> dropped = new LinkedHashMap<>();
    private final Map<String, List<String>> where = new LinkedHashMap<>();

    /**
     * Creates an empty report.
     *
     * @param strict whether the first bad row fails the read
     */
    public ReadReport(boolean strict) {
        this.strict = strict;
    }

    /** Counts a row read. */
    public void countRead() {
        read++;
    }

    /**
     * Counts examples kept (negative: a kept example dropped by a later stage, such as
     * tokenization).
     *
     * @param n how many
     */
    public void countKept(long n) {
        kept += n;
    }

    /** Counts a truncated pair. */
    public void countTruncated() {
        truncated++;
    }

    /**
     * Counts a dropped row (or fails in strict mode).
     *
     * @param source where
     * @param e why
     * @throws DataFormatException in strict mode
     */
    public void drop(Source source, BadRowException e) {
        if (strict) {
            throw new DataFormatException(source + ": " + e.getMessage());
        }
        dropped.merge(e.reason(), 1L, Long::sum);
        List<String> list = where.computeIfAbsent(e.reason(), k -> new ArrayList<>());
        if (list.size() < EXAMPLES_PER_REASON) {
            list.add(source + ": " + e.getMessage());
        }
    }

    /** @return rows read */
    public long read() {
        return read;
    }

    /** @return examples kept */
    public long kept() {
        return kept;
    }

    /** @return pairs truncated */
    public long truncated() {
        return truncated;
    }

    /** @return dropped rows per reason */
    public Map<String, Long> dropped() {
        return Collections.unmodifiableMap(dropped);
    }

    /** @return total dropped rows */
    public long droppedTotal() {
        return dropped.values().stream().mapToLong(Long::longValue).sum();
    }

    /** @return the first locations per reason */
    public Map<String, List<String>> locations() {
        return Collections.unmodifiableMap(where);
    }

    /**
     * A human-readable summary.
     *
     * @return lines of text
     */
    public String summary() {
        StringBuilder b = new StringBuilder();
        b.append("read ").append(read).append(", kept ").append(kept).append(", dropped ").append(droppedTotal());
        if (truncated > 0) {
            b.append(", truncated ").append(truncated);
        }
        dropped.forEach((reason, n) -> {
            b.append("\n  ").append(reason).append(": ").append(n);
            where.getOrDefault(reason, List.of()).forEach(w -> b.append("\n    ").append(w));
        });
        return b.toString();
    }
}
