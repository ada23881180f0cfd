package io.github.dgpo.losses;

/**
 * A loss's form for unpaired examples (prompt, completion, desirable flag), such as KTO's
 * native one. A trainer given unpaired data asks {@link PreferenceLoss#unpaired()} for it.
 */
public interface UnpairedLoss {

    /**
     * Computes per-example and batch losses. In the output, {@code dW} holds {@code -∂L/∂S} of
     * desirable examples (0 elsewhere), {@code dL} holds {@code ∂L/∂S} of undesirable ones, and
     * {@code margins} the implicit reward of each example.
     *
     * @param in the examples' sequence log-probabilities
     * @return the loss and its diagnostics
     */
    LossOutput computeUnpaired(UnpairedLogps in);

    /**
     * Returns whether the unpaired form needs mismatched (prompt, completion) sums for its
     * reference point.
     *
     * @return true when {@link UnpairedLogps#mismatchedSum()} must be given for batches of two or more
     */
    boolean needsMismatchedExamples();
}
