package io.github.dgpo.data.batch;

/**
 * Rows ready for a causal LM, right-padded: for {@code B} pairs, rows {@code 0..B-1} are
 * prompt + chosen and rows {@code B..2B-1} prompt + rejected ({@code [chosen; rejected]}); for
 * unpaired examples, one row each.
 *
 * @param inputIds token ids {@code [R, T]}
 * @param attentionMask 1 on real tokens {@code [R, T]}
 * @param completionMask 1 on completion tokens, EOS included {@code [R, T]}
 * @param lengths real length of each row
 * @param pairs {@code B} for pairs, 0 for unpaired rows
 */
public record PaddedBatch(long[][] inputIds, long[][] attentionMask, long[][] completionMask, int[] lengths, int pairs) {

    /** @return the number of rows */
    public int rows() {
        return inputIds.length;
    }

    /** @return the padded length */
    public int width() {
        return inputIds.length == 0 ? 0 : inputIds[0].length;
    }

    /** @return the number of real (non-padding) tokens */
    public long tokens() {
        long n = 0;
        for (int l : lengths) {
            n += l;
        }
        return n;
    }
}
