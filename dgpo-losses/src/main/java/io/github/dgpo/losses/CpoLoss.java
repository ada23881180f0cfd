package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.times;
import static io.github.dgpo.losses.StableMath.logSigmoid;
import static io.github.dgpo.losses.StableMath.sigmoid;

import ai.djl.ndarray.NDArray;

/**
 * CPO: Xu et al., 2024, "Contrastive Preference Optimization: Pushing the Boundaries of LLM
 * Performance in Machine Translation".
 *
 * <pre>
 *   z = β(a - b)
 *   L = -log σ(z) - α·A_w
 *   d_w = βs + α/n_w,  d_l = βs,  s = σ(-z)
 * </pre>
 *
 * {@code a}, {@code b}: policy sums of the chosen and rejected completions; {@code A_w =
 * S_w/n_w}: the chosen per-token average (the NLL term); α: NLL weight. No reference.
 *
 * <p>Defaults: {@code beta = 0.01}, {@code alpha = 1} (DGPO paper Table 6). Differs from TRL:
 * TRL's NLL term is one token-weighted mean over the batch ({@code ΣS_w / Σn_w}); here it is
 * the mean of per-pair averages.
 */
public final class CpoLoss extends MarginLoss {

    private final double beta;
    private final double alpha;

    /**
     * Creates CPO.
     *
     * @param hp {@code beta}, {@code alpha}
     */
    public CpoLoss(Hyperparameters hp) {
        this(hp.positive("beta", 0.01), hp.nonNegative("alpha", 1), hp);
    }

    private CpoLoss(double beta, double alpha, Hyperparameters hp) {
        super("cpo", Reduction.SUM, hp);
        this.beta = beta;
        this.alpha = alpha;
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
        return logSigmoid(z).neg();
    }

    @Override
    protected NDArray marginDw(NDArray z, Pair p) {
        return times(sigmoid(z.neg()), beta);
    }

    @Override
    protected NDArray marginDl(NDArray z, Pair p) {
        return marginDw(z, p);
    }

    @Override
    protected double nllWeight() {
        return alpha;
    }

    @Override
    protected double rewardScale() {
        return beta;
    }
}
