package io.github.dgpo.losses;

import ai.djl.ndarray.NDArray;
import java.util.Objects;

/**
 * Sequence log-probabilities of a batch of preference pairs: the input of every {@link
 * PreferenceLoss}. All arrays have shape {@code [B]} and the same floating dtype; counts may
 * be any numeric type.
 *
 * @param chosenSum {@code S_w}: sum of the chosen completion's token log-probabilities
 * @param rejectedSum {@code S_l}: the same for the rejected completion
 * @param chosenTokens {@code n_w >= 1}: completion tokens of the chosen response
 * @param rejectedTokens {@code n_l >= 1}
 * @param refChosenSum {@code R_w} under the frozen reference, or {@code null}
 * @param refRejectedSum {@code R_l}, or {@code null}
 * @param mismatchedSum KTO only: policy sums of mismatched pairs (prompt {@code i}, chosen
 *     completion of pair {@code (i+1) mod B}), computed without gradient, or {@code null}
 * @param mismatchedRefSum KTO only: reference sums of the same mismatched pairs, or {@code
 *     null}
 */
public record PairLogps(
        NDArray chosenSum,
        NDArray rejectedSum,
        NDArray chosenTokens,
        NDArray rejectedTokens,
        NDArray refChosenSum,
        NDArray refRejectedSum,
        NDArray mismatchedSum,
        NDArray mismatchedRefSum) {

    /** Checks the required arrays are present. */
    public PairLogps {
        Objects.requireNonNull(chosenSum, "chosenSum");
        Objects.requireNonNull(rejectedSum, "rejectedSum");
        Objects.requireNonNull(chosenTokens, "chosenTokens");
        Objects.requireNonNull(rejectedTokens, "rejectedTokens");
    }

    /**
     * Policy-only pairs (for reference-free losses).
     *
     * @param chosenSum {@code S_w}
     * @param rejectedSum {@code S_l}
     * @param chosenTokens {@code n_w}
     * @param rejectedTokens {@code n_l}
     * @return the pairs
     */
    public static PairLogps of(
            NDArray chosenSum, NDArray rejectedSum, NDArray chosenTokens, NDArray rejectedTokens) {
        return new PairLogps(
                chosenSum, rejectedSum, chosenTokens, rejectedTokens, null, null, null, null);
    }

    /**
     * Returns a copy with reference sums.
     *
     * @param refChosen {@code R_w}
     * @param refRejected {@code R_l}
     * @return the new pairs
     */
    public PairLogps withReference(NDArray refChosen, NDArray refRejected) {
        return new PairLogps(
                chosenSum,
                rejectedSum,
                chosenTokens,
                rejectedTokens,
                refChosen,
                refRejected,
                mismatchedSum,
                mismatchedRefSum);
    }

    /**
     * Returns a copy with KTO's mismatched-pair sums.
     *
     * @param policy policy sums of the mismatched pairs
     * @param reference reference sums of the mismatched pairs
     * @return the new pairs
     */
    public PairLogps withMismatched(NDArray policy, NDArray reference) {
        return new PairLogps(
                chosenSum,
                rejectedSum,
                chosenTokens,
                rejectedTokens,
                refChosenSum,
                refRejectedSum,
                policy,
                reference);
    }

    /**
     * Returns whether reference sums are present.
     *
     * @return true when both reference sums are set
     */
    public boolean hasReference() {
        return refChosenSum != null && refRejectedSum != null;
    }

    /**
     * Returns the number of pairs.
     *
     * @return {@code B}
     */
    public int size() {
        return Math.toIntExact(chosenSum.size());
    }
}
