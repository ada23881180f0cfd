package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.times;

import ai.djl.ndarray.NDArray;

/**
 * The losses of one margin, a scaled chosen-minus-rejected score difference: {@code L = ℓ(z)} with
 *
 * <pre>
 *   z = c·(g(r_w)/k_w - g(r_l)/k_l) - γ,   r_w = S_w - R_w,  r_l = S_l - R_l
 *   d_w = -ℓ'(z)·c·g'(r_w),  d_l = -ℓ'(z)·c·g'(r_l)     (on the sums)
 * </pre>
 *
 * TRL builds its DPO loss types on this reward difference ({@code delta_score}), and its CPO
 * trainer's {@code sigmoid}, {@code hinge} and {@code simpo} on the reference-free one. {@code R}
 * are the reference sums, 0 for a reference-free loss (CPO, SimPO, SLiC-HF, RRHF, DPO with {@code
 * reference_free}); {@code g} is the {@link FDivergence f-divergence} score ({@code
 * f_divergence_type}; the identity for plain DPO and for every reference-free loss), {@code c} the
 * loss's scale (β, or 1 for IPO and RRHF), {@code k = 1} for the sum reduction or the completion
 * length for the length-normalised ones (average reduction: IPO, {@code sigmoid-norm}, SimPO,
 * RRHF), and γ a target margin (SimPO's; 0 for the others). A subclass states {@code ℓ} and {@code
 * -ℓ'}, or takes them from {@link SigmoidMarginLoss} or {@link HingeMarginLoss}.
 */
public abstract class ScoreDifferenceLoss extends MarginLoss {

    private final double scale;
    private final double targetMargin;
    private final FDivergence divergence;
    private final boolean reference;

    /** With a reference: {@code r = S - R}, scored by {@code divergence}; γ = 0. */
    ScoreDifferenceLoss(String name, Reduction reduction, double scale, FDivergence divergence, Hyperparameters hp) {
        this(name, reduction, scale, 0, divergence, true, hp);
    }

    /** Reference-free: {@code r = S}, scored by the identity, with the target margin γ. */
    ScoreDifferenceLoss(String name, Reduction reduction, double scale, double targetMargin, Hyperparameters hp) {
        this(name, reduction, scale, targetMargin, FDivergence.REVERSE_KL, false, hp);
    }

    ScoreDifferenceLoss(
            String name, Reduction reduction, double scale, double targetMargin, FDivergence divergence, boolean reference, Hyperparameters hp) {
        super(name, reduction, hp);
        this.scale = scale;
        this.targetMargin = targetMargin;
        this.divergence = divergence;
        this.reference = reference;
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

    /** Whether {@code r} is the log-ratio against the reference (else the policy's value alone). */
    @Override
    public final boolean requiresReference() {
        return reference;
    }

    @Override
    protected final NDArray margin(Pair p) {
        NDArray z = times(score(chosenRatio(p), p.chosenTokens()).sub(score(rejectedRatio(p), p.rejectedTokens())), scale);
        return targetMargin == 0 ? z : z.sub(targetMargin);
    }

    @Override
    protected final NDArray marginTerm(NDArray z, Pair p) {
        return term(z);
    }

    @Override
    protected final NDArray marginDw(NDArray z, Pair p) {
        return scoreSlope(times(slope(z), scale), chosenRatio(p), p.chosenTokens());
    }

    @Override
    protected final NDArray marginDl(NDArray z, Pair p) {
        return scoreSlope(times(slope(z), scale), rejectedRatio(p), p.rejectedTokens());
    }

    @Override
    protected double rewardScale() {
        return scale;
    }

    /** {@code r_w} under the reduction: {@code a - a_ref}, or {@code a} without a reference. */
    private NDArray chosenRatio(Pair p) {
        return reference ? p.a().sub(p.aRef()) : p.a();
    }

    /** {@code r_l} under the reduction. */
    private NDArray rejectedRatio(Pair p) {
        return reference ? p.b().sub(p.bRef()) : p.b();
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
