package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.times;
import static io.github.dgpo.losses.StableMath.hinge;
import static io.github.dgpo.losses.StableMath.indicator;

import ai.djl.ndarray.NDArray;

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
public final class SlicHfLoss extends MarginLoss {

    private final double delta;
    private final double beta;
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
        super("slic-hf", Reduction.SUM, hp);
        this.delta = delta;
        this.beta = beta;
        this.lambda = lambda;
    }

    @Override
    public boolean requiresReference() {
        return false;
    }

    @Override
    protected NDArray margin(Pair p) {
        return times(p.a().sub(p.b()), beta);
    }

    @Override
    protected NDArray marginTerm(NDArray z, Pair p) {
        return hinge(z.neg().add(delta));
    }

    @Override
    protected NDArray marginDw(NDArray z, Pair p) {
        return times(indicator(z.lt(delta), z), beta);
    }

    @Override
    protected NDArray marginDl(NDArray z, Pair p) {
        return marginDw(z, p);
    }

    @Override
    protected double nllWeight() {
        return lambda;
    }

    @Override
    protected double rewardScale() {
        return beta;
    }
}
