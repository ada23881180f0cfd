package io.github.dgpo.losses;

import static io.github.dgpo.losses.StableMath.hinge;
import static io.github.dgpo.losses.StableMath.indicator;

import ai.djl.ndarray.NDArray;

/**
 * A {@link ScoreDifferenceLoss} with the hinge loss of the margin (TRL's {@code hinge}):
 *
 * <pre>
 *   L = max(0, δ - z)
 *   d_w = c·[z &lt; δ]·g'(r_w),  d_l = c·[z &lt; δ]·g'(r_l)
 * </pre>
 *
 * δ: where the hinge has its kink; there the gradient taken is 0. A subclass states only δ and its
 * margin: scale {@code c}, reduction, and reference or not (see {@link ScoreDifferenceLoss}).
 */
public abstract class HingeMarginLoss extends ScoreDifferenceLoss {

    private final double delta;

    /** With a reference (see {@link ScoreDifferenceLoss}). */
    HingeMarginLoss(String name, Reduction reduction, double scale, double delta, FDivergence divergence, Hyperparameters hp) {
        super(name, reduction, scale, divergence, hp);
        this.delta = delta;
    }

    /** Reference-free (see {@link ScoreDifferenceLoss}). */
    HingeMarginLoss(String name, Reduction reduction, double scale, double delta, Hyperparameters hp) {
        super(name, reduction, scale, 0, hp);
        this.delta = delta;
    }

    @Override
    protected final NDArray term(NDArray z) {
        // δ = 0 adds nothing, not even the sign of a zero (a tie keeps max(0, -z) = -0)
        return hinge(delta == 0 ? z.neg() : z.neg().add(delta));
    }

    @Override
    protected final NDArray slope(NDArray z) {
        return indicator(z.lt(delta), z);
    }
}
