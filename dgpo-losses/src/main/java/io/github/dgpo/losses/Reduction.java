package io.github.dgpo.losses;

/** How a loss reduces a completion's token log-probabilities to one number. */
public enum Reduction {
    /** The sum {@code S} of the completion's token log-probabilities. */
    SUM,
    /** The per-token average {@code A = S / n}. */
    AVERAGE;

    /**
     * Parses {@code sum} or {@code average} (case-insensitive).
     *
     * @param text the name
     * @return the reduction
     * @throws IllegalArgumentException naming the valid values
     */
    public static Reduction parse(String text) {
        for (Reduction r : values()) {
            if (r.name().equalsIgnoreCase(text.trim())) {
                return r;
            }
        }
        throw new IllegalArgumentException(
                "reduction must be 'sum' or 'average', got '" + text + "'");
    }

    /**
     * Returns the lower-case name used in configs and the CLI.
     *
     * @return {@code sum} or {@code average}
     */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
