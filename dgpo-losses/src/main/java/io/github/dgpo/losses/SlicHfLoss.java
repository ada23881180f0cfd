package io.github.dgpo.losses;

/**
 * SLiC-HF: Zhao et al., 2023, "SLiC-HF: Sequence Likelihood Calibration with Human Feedback".
 *
 * <pre>
 *   z = β(a - b)
 *   L = max(0, δ - z) - λ·A_w
 *   d_w = β[z &lt; δ] + λ/n_w,  d_l = β[z &lt; δ]
 * </pre>
 *
 * {@code a}, {@code b}: policy sums; {@code A_w}: chosen per-token average (the NLL term); δ:
 * hinge margin; λ: NLL weight. No reference. At the kink {@code z = δ} the gradient taken is 0.
 *
 * <p>Defaults: {@code delta = 1}, {@code beta = 1}, {@code lambda = 1} (DGPO paper Table 6).
 * TRL's {@code hinge} DPO loss is the reference-based variant of the hinge and has no NLL term.
 */
public final class SlicHfLoss extends HingeMarginLoss {

    private final double lambda;

    /**
     * Creates SLiC-HF.
     *
     * @param hp {@code delta}, {@code beta}, {@code lambda}
     */
    public SlicHfLoss(Hyperparameters hp) {
        this(hp.finite("delta", 1), hp.positive("beta", 1), hp.nonNegative("lambda", 1), hp);
    }

    private SlicHfLoss(double delta, double beta, double lambda, Hyperparameters hp) {
        super("slic-hf", Reduction.SUM, beta, delta, hp);
        this.lambda = lambda;
    }

    @Override
    protected double nllWeight() {
        return lambda;
    }
}
