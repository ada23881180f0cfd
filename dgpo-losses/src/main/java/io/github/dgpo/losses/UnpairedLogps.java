package io.github.dgpo.losses;

import ai.djl.ndarray.NDArray;
import java.util.Objects;

/**
 * Sequence log-probabilities of unpaired KTO examples (prompt, completion, desirable flag),
 * KTO's native data form. Arrays have shape {@code [B]}.
 *
 * @param sum policy sum of the completion's token log-probabilities
 * @param refSum the same under the reference
 * @param desirable boolean array: true for a desirable completion
 * @param mismatchedSum policy sums of mismatched (prompt, completion) pairs for the {@code z0}
 *     estimate, or {@code null}
 * @param mismatchedRefSum reference sums of the same, or {@code null}
 */
public record UnpairedLogps(
        NDArray sum,
        NDArray refSum,
        NDArray desirable,
        NDArray mismatchedSum,
        NDArray mismatchedRefSum) {

    /** Checks the required arrays are present. */
    public UnpairedLogps {
        Objects.requireNonNull(sum, "sum");
        Objects.requireNonNull(refSum, "refSum");
        Objects.requireNonNull(desirable, "desirable");
    }

    /**
     * Returns the number of examples.
     *
     * @return {@code B}
     */
    public int size() {
        return Math.toIntExact(sum.size());
    }
}
