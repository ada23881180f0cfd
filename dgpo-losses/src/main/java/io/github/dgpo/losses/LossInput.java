package io.github.dgpo.losses;

/**
 * What a loss reads beyond the policy's per-sequence sums and token counts, so that the trainer
 * asks the loss what to compute instead of knowing losses by name.
 */
public enum LossInput {
    /** Reference sums {@link PairLogps#refChosenSum()}, {@link PairLogps#refRejectedSum()}. */
    REFERENCE,
    /**
     * Policy and reference sums of mismatched pairs (prompt {@code i} with the chosen completion
     * of pair {@code (i+1) mod B}), scored without gradient: KTO's {@code z0} estimate.
     */
    MISMATCHED_PAIRS,
    /**
     * Per-sequence sums over completion tokens of {@code log p(y_t) - log Σ_v p(v)²}, computed
     * without gradient ({@link PairLogps#chosenAlignment()}): WPO's pair weights.
     */
    TOKEN_ALIGNMENT,
    /**
     * Per-pair sums over aligned completion positions of the full-vocabulary divergences
     * {@code KL(π(·|x, y_w<i) ‖ π(·|x, y_l<i))} and the reverse, attached to the graph ({@link
     * PairLogps#klForward()}): the exact divergence-gap loss.
     */
    ALIGNED_KL
}
