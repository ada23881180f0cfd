package io.github.dgpo.losses;

/**
 * SimPO: Meng et al., 2024, "SimPO: Simple Preference Optimization with a Reference-Free
 * Reward".
 *
 * <pre>
 *   z = β(A_w - A_l) - γ
 *   L = -log σ(z)
 *   d_w = d_l = βs,  s = σ(-z)     (on the averages; divided by n on the sums)
 * </pre>
 *
 * {@code A_w}, {@code A_l}: per-token averages; β: reward scale; γ: target reward margin. No
 * reference.
 *
 * <p>Defaults: {@code beta = 2.5}, {@code gamma = 1} (DGPO paper Table 6). Differs from TRL:
 * TRL's SimPO (CPO trainer, {@code loss_type="simpo"}) adds an NLL term unless {@code
 * cpo_alpha=0}; here there is none. γ has the same meaning as TRL's {@code simpo_gamma}.
 */
public final class SimPoLoss extends SigmoidMarginLoss {

    /**
     * Creates SimPO.
     *
     * @param hp {@code beta}, {@code gamma}
     */
    public SimPoLoss(Hyperparameters hp) {
        this(hp.positive("beta", 2.5), hp.finite("gamma", 1), hp);
    }

    private SimPoLoss(double beta, double gamma, Hyperparameters hp) {
        super("simpo", Reduction.AVERAGE, beta, gamma, hp);
    }
}
