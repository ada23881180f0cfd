package io.github.dgpo.losses;

import ai.djl.ndarray.NDArray;
import java.util.Objects;

/**
 * Sequence log-probabilities of a batch of preference pairs: the input of every {@link
 * PreferenceLoss}. All arrays have shape {@code [B]} and the same floating dtype; counts may
 * be any numeric type. Which optional arrays must be present is what the loss's {@link
 * PreferenceLoss#inputs()} says.
 *
 * @param chosenSum {@code S_w}: sum of the chosen completion's token log-probabilities
 * @param rejectedSum {@code S_l}: the same for the rejected completion
 * @param chosenTokens {@code n_w >= 1}: completion tokens of the chosen response
 * @param rejectedTokens {@code n_l >= 1}
 * @param refChosenSum {@code R_w} under the frozen reference, or {@code null}
 * @param refRejectedSum {@code R_l}, or {@code null}
 * @param mismatchedSum {@link LossInput#MISMATCHED_PAIRS}: policy sums of mismatched pairs
 *     (prompt {@code i}, chosen completion of pair {@code (i+1) mod B}), computed without
 *     gradient, or {@code null}
 * @param mismatchedRefSum reference sums of the same mismatched pairs, or {@code null}
 * @param chosenAlignment {@link LossInput#TOKEN_ALIGNMENT}: {@code Σ_t (log p(y_t) - log Σ_v
 *     p(v)²)} over the chosen completion, without gradient, or {@code null}
 * @param rejectedAlignment the same for the rejected completion, or {@code null}
 * @param klForward {@link LossInput#ALIGNED_KL}: {@code Σ_i KL(π(·|x, y_w<i) ‖ π(·|x, y_l<i))}
 *     over the aligned completion positions, attached to the graph, or {@code null}
 * @param klReverse {@code Σ_i KL(π(·|x, y_l<i) ‖ π(·|x, y_w<i))}, or {@code null}
 */
public record PairLogps(
        NDArray chosenSum,
        NDArray rejectedSum,
        NDArray chosenTokens,
        NDArray rejectedTokens,
        NDArray refChosenSum,
        NDArray refRejectedSum,
        NDArray mismatchedSum,
        NDArray mismatchedRefSum,
        NDArray chosenAlignment,
        NDArray rejectedAlignment,
        NDArray klForward,
        NDArray klReverse) {

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
    public static PairLogps of(NDArray chosenSum, NDArray rejectedSum, NDArray chosenTokens, NDArray rejectedTokens) {
        return new PairLogps(chosenSum, rejectedSum, chosenTokens, rejectedTokens, null, null, null, null, null, null, null, null);
    }

    /**
     * Returns a copy with reference sums.
     *
     * @param refChosen {@code R_w}
     * @param refRejected {@code R_l}
     * @return the new pairs
     */
    public PairLogps withReference(NDArray refChosen, NDArray refRejected) {
        return new PairLogps(chosenSum, rejectedSum, chosenTokens, rejectedTokens, refChosen, refRejected, mismatchedSum, mismatchedRefSum,
                chosenAlignment, rejectedAlignment, klForward, klReverse);
    }

    /**
     * Returns a copy with KTO's mismatched-pair sums.
     *
     * @param policy policy sums of the mismatched pairs
     * @param reference reference sums of the mismatched pairs
     * @return the new pairs
     */
    public PairLogps withMismatched(NDArray policy, NDArray reference) {
        return new PairLogps(chosenSum, rejectedSum, chosenTokens, rejectedTokens, refChosenSum, refRejectedSum, policy, reference,
                chosenAlignment, rejectedAlignment, klForward, klReverse);
    }

    /**
     * Returns a copy with the token-alignment sums (WPO).
     *
     * @param chosen chosen completion's alignment sum
     * @param rejected rejected completion's alignment sum
     * @return the new pairs
     */
    public PairLogps withAlignment(NDArray chosen, NDArray rejected) {
        return new PairLogps(chosenSum, rejectedSum, chosenTokens, rejectedTokens, refChosenSum, refRejectedSum, mismatchedSum, mismatchedRefSum,
                chosen, rejected, klForward, klReverse);
    }

    /**
     * Returns a copy with the aligned-position divergence sums.
     *
     * @param forward {@code Σ KL(π_w ‖ π_l)}
     * @param reverse {@code Σ KL(π_l ‖ π_w)}
     * @return the new pairs
     */
    public PairLogps withAlignedKl(NDArray forward, NDArray reverse) {
        return new PairLogps(chosenSum, rejectedSum, chosenTokens, rejectedTokens, refChosenSum, refRejectedSum, mismatchedSum, mismatchedRefSum,
                chosenAlignment, rejectedAlignment, forward, reverse);
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
