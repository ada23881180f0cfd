package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.times;

import ai.djl.ndarray.NDArray;

/**
 * IPO: Azar et al., 2024, "A General Theoretical Paradigm to Understand Learning from Human
 * Preferences".
 *
 * <pre>
 *   z = (a - a_ref) - (b - b_ref)
 *   L = (z - 1/(2τ))²
 *   d_w = d_l = -2(z - 1/(2τ))
 * </pre>
 *
 * {@code a}, {@code b}: per-token averages of the policy's chosen and rejected completions;
 * {@code a_ref}, {@code b_ref}: the reference's. τ: regularisation strength. With {@code
 * f_divergence_type} (see {@link FDivergence}) the margin is {@code g(r_w)/n_w - g(r_l)/n_l} with
 * {@code r} the log-ratio of the sums, as in TRL.
 *
 * <p>Defaults: {@code tau = 0.5} (DGPO paper Table 6), {@code f_divergence_type = reverse_kl}. As
 * in TRL, on per-token averages (TRL calls τ {@code beta}).
 */
public final class IpoLoss extends ScoreDifferenceLoss {

    private final double target;

    /**
     * Creates IPO.
     *
     * @param hp {@code tau}, {@code f_divergence_type}, {@code f_alpha_divergence_coef}
     */
    public IpoLoss(Hyperparameters hp) {
        this(hp.positive("tau", 0.5), FDivergence.read(hp), hp);
    }

    private IpoLoss(double tau, FDivergence divergence, Hyperparameters hp) {
        super("ipo", Reduction.AVERAGE, 1, divergence, hp);
        this.target = 1 / (2 * tau);
    }

    @Override
    protected NDArray term(NDArray z) {
        return z.sub(target).square();
    }

    @Override
    protected NDArray slope(NDArray z) {
        return times(z.sub(target), -2);
    }
}
