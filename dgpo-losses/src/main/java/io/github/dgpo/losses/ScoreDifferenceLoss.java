package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.times;

import ai.djl.ndarray.NDArray;

/**
 * The losses TRL builds on the chosen-rejected reward difference ({@code delta_score}): {@code L =
 * ℓ(z)} with
 *
 * <pre>
 *   z = c·(g(r_w)/k_w - g(r_l)/k_l),   r_w = S_w - R_w,  r_l = S_l - R_l
 *   d_w = -ℓ'(z)·c·g'(r_w),  d_l = -ℓ'(z)·c·g'(r_l)     (on the sums)
 * </pre>
 *
 * {@code g} is the {@link FDivergence f-divergence} score ({@code f_divergence_type}; the identity
 * for plain DPO), {@code c} the loss's scale (β, or 1 for IPO) and {@code k = 1} for the sum
 * reduction or the completion length for the length-normalised ones (average reduction: IPO,
 * {@code sigmoid-norm}). A subclass states {@code ℓ} and {@code -ℓ'}.
 */
public abstract class ScoreDifferenceLoss extends MarginLoss {

    private final double scale;
    private final FDivergence divergence;

    ScoreDifferenceLoss(String name, Reduction reduction, double scale, FDivergence divergence, Hyperparameters hp) {
        super(name, reduction, hp);
        this.scale = scale;
        this.divergence = divergence;
    }

    /**
     * The loss as a function of the margin.
     *
     * @param z the margin
     * @return {@code ℓ(z)}
     */
    protected abstract NDArray term(NDArray z);

    /**
     * Minus the derivative of the loss in the margin (detached input).
     *
     * @param z the margin
     * @return {@code -ℓ'(z)}
     */
    protected abstract NDArray slope(NDArray z);

    /**
     * Returns whether the loss compares log-ratios (reverse KL) rather than other f-divergence
     * scores.
     *
     * @return true for plain log-ratios
     */
    protected final boolean reverseKl() {
        return divergence.isReverseKl();
    }

    @Override
    protected final NDArray margin(Pair p) {
        return times(score(p.a().sub(p.aRef()), p.chosenTokens()).sub(score(p.b().sub(p.bRef()), p.rejectedTokens())), scale);
    }

    @Override
    protected final NDArray marginTerm(NDArray z, Pair p) {
        return term(z);
    }

    @Override
    protected final NDArray marginDw(NDArray z, Pair p) {
        return scoreSlope(times(slope(z), scale), p.a().sub(p.aRef()), p.chosenTokens());
    }

    @Override
    protected final NDArray marginDl(NDArray z, Pair p) {
        return scoreSlope(times(slope(z), scale), p.b().sub(p.bRef()), p.rejectedTokens());
    }

    @Override
    protected double rewardScale() {
        return scale;
    }

    /** {@code g(r)/k} from the difference under the reduction; {@code r} is always on the sums. */
    private NDArray score(NDArray difference, NDArray tokens) {
        if (divergence.isReverseKl()) {
            return difference;
        }
        return reduction() == Reduction.AVERAGE
                ? divergence.score(difference.mul(tokens)).div(tokens)
                : divergence.score(difference);
    }

    /** {@code x·g'(r)}: the derivative of {@code g(r)/k} in the reduction's own unit is {@code g'(r)}. */
    private NDArray scoreSlope(NDArray x, NDArray difference, NDArray tokens) {
        if (divergence.isReverseKl()) {
            return x;
        }
        NDArray r = reduction() == Reduction.AVERAGE ? difference.mul(tokens) : difference;
        return x.mul(divergence.slope(r));
    }
}
