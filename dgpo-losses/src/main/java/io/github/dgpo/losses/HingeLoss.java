package io.github.dgpo.losses;

/**
 * Hinge DPO (TRL's {@code hinge}; the reference-based hinge of Liu et al., 2024, "Statistical
 * Rejection Sampling Improves Preference Optimization").
 *
 * <pre>
 *   z = β((a - a_ref) - (b - b_ref))
 *   L = max(0, 1 - z)
 *   d_w = d_l = β[z &lt; 1]
 * </pre>
 *
 * {@code a}, {@code b}: policy sums; {@code a_ref}, {@code b_ref}: reference sums; β: inverse
 * margin scale. At the kink {@code z = 1} the gradient taken is 0. Accepts {@code
 * f_divergence_type} like {@link DpoLoss}.
 *
 * <p>Defaults: {@code beta = 0.1} (TRL's). Unlike {@link SlicHfLoss} (SLiC-HF's reference-free
 * calibration loss with δ and an NLL term), this is exactly TRL's {@code hinge}.
 */
public final class HingeLoss extends HingeMarginLoss {

    /**
     * Creates hinge DPO.
     *
     * @param hp {@code beta}, {@code f_divergence_type}, {@code f_alpha_divergence_coef}
     */
    public HingeLoss(Hyperparameters hp) {
        this(hp.positive("beta", 0.1), FDivergence.read(hp), hp);
    }

    private HingeLoss(double beta, FDivergence divergence, Hyperparameters hp) {
        super("hinge", Reduction.SUM, beta, 1, divergence, hp);
    }
}
