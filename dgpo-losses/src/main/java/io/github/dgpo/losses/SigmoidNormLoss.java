package io.github.dgpo.losses;

/**
 * Length-normalised DPO with a reference (TRL's {@code sigmoid_norm}; the DPO variant of the
 * Tülu 3 recipe, Lambert et al., 2024, "Tülu 3: Pushing Frontiers in Open Language Model
 * Post-Training", open-instruct's {@code dpo_norm}).
 *
 * <pre>
 *   z = β((A_w - A_w,ref) - (A_l - A_l,ref))
 *   L = -log σ(z)
 *   d_w = d_l = βs,  s = σ(-z)     (on the averages; divided by n on the sums)
 * </pre>
 *
 * {@code A}: per-token averages of the policy's and the reference's completions; β: temperature.
 * With {@code f_divergence_type} the margin is {@code β(g(r_w)/n_w - g(r_l)/n_l)} with {@code r}
 * the log-ratio of the sums, as in TRL.
 *
 * <p>Defaults: {@code beta = 5} (Tülu 3's, whose per-token log-ratios are about 1/length of DPO's;
 * TRL's default is 0.1).
 */
public final class SigmoidNormLoss extends SigmoidMarginLoss {

    /**
     * Creates length-normalised DPO.
     *
     * @param hp {@code beta}, {@code f_divergence_type}, {@code f_alpha_divergence_coef}
     */
    public SigmoidNormLoss(Hyperparameters hp) {
        this(hp.positive("beta", 5), FDivergence.read(hp), hp);
    }

    private SigmoidNormLoss(double beta, FDivergence divergence, Hyperparameters hp) {
        super("sigmoid-norm", Reduction.AVERAGE, beta, divergence, hp);
    }
}
