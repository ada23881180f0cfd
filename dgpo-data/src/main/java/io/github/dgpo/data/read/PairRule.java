package io.github.dgpo.data.read;

import java.util.Locale;

/** How raw UltraFeedback completions are paired. */
public enum PairRule {
    /** The best-scored completion against a random other one, as ultrafeedback_binarized was made. */
    BEST_VS_RANDOM,
    /** The best against the worst. */
    BEST_VS_WORST,
    /** Every pair whose score gap is at least the minimum gap. */
    ALL_PAIRS;

    /**
     * Parses {@code best-vs-random}, {@code best-vs-worst} or {@code all-pairs}.
     *
     * @param text the name
     * @return the rule
     */
    public static PairRule parse(String text) {
        for (PairRule r : values()) {
            if (r.label().equals(text.trim().toLowerCase(Locale.ROOT))) {
                return r;
            }
        }
        throw new IllegalArgumentException("pair rule must be best-vs-random, best-vs-worst or all-pairs, got '" + text + "'");
    }

    /** @return the config name */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
