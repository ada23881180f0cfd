package io.github.dgpo.losses;

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
public final class CpoLoss extends SigmoidMarginLoss {

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
        super("cpo", Reduction.SUM, beta, 0, hp);
        this.alpha = alpha;
    }

    @Override
    protected double nllWeight() {
        return alpha;
    }
}
