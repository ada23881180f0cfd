package io.github.dgpo.losses;

import static io.github.dgpo.losses.StableMath.logSigmoid;
import static io.github.dgpo.losses.StableMath.sigmoid;

import ai.djl.ndarray.NDArray;

/**
 * A {@link ScoreDifferenceLoss} with the logistic loss of the margin (TRL's {@code sigmoid}):
 *
 * <pre>
 *   L = -log σ(z)
 *   d_w = c·s·g'(r_w),  d_l = c·s·g'(r_l),  s = σ(-z)
 * </pre>
 *
 * A subclass states only its margin: scale {@code c}, reduction, reference or not, and target
 * margin γ (see {@link ScoreDifferenceLoss}). {@link DpoLoss} is not one of them: its label
 * smoothing changes {@code ℓ}.
 */
public abstract class SigmoidMarginLoss extends ScoreDifferenceLoss {

    /** With a reference (see {@link ScoreDifferenceLoss}). */
    SigmoidMarginLoss(String name, Reduction reduction, double scale, FDivergence divergence, Hyperparameters hp) {
        super(name, reduction, scale, divergence, hp);
    }

    /** Reference-free, with the target margin γ (see {@link ScoreDifferenceLoss}). */
    SigmoidMarginLoss(String name, Reduction reduction, double scale, double targetMargin, Hyperparameters hp) {
        super(name, reduction, scale, targetMargin, hp);
    }

    @Override
    protected final NDArray term(NDArray z) {
        return logSigmoid(z).neg();
    }

    @Override
    protected final NDArray slope(NDArray z) {
        return sigmoid(z.neg());
    }
}
