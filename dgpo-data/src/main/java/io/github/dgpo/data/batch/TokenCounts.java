package io.github.dgpo.data.batch;

/**
 * How many tokens a batch holds, counted the ways a throughput figure needs.
 *
 * @param logical real tokens of the sequences as separate rows (prompt + completion for each
 *     sequence): the same for every layout, so throughput figures compare
 * @param rows real tokens the model's rows hold (fewer than {@code logical} when prompts are
 *     shared)
 * @param slots positions the model runs on, padding included (rows × padded width)
 * @param completions completion tokens (the positions that go through the output head)
 */
public record TokenCounts(long logical, long rows, long slots, long completions) {

    /** No tokens. */
    public static final TokenCounts ZERO = new TokenCounts(0, 0, 0, 0);

    /**
     * Adds two counts.
     *
     * @param other the other counts
     * @return the sums
     */
    public TokenCounts plus(TokenCounts other) {
        return new TokenCounts(logical + other.logical, rows + other.rows, slots + other.slots, completions + other.completions);
    }
}
