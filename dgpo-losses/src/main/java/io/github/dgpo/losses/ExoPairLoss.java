package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.times;
import static io.github.dgpo.losses.StableMath.logSigmoid;
import static io.github.dgpo.losses.StableMath.logisticSlope;
import static io.github.dgpo.losses.StableMath.sigmoid;

import ai.djl.ndarray.NDArray;

/**
 * EXO, pairwise: Ji et al., 2024, "Towards Efficient Exact Optimization of Language Model
 * Alignment" (Eq. 16; TRL's {@code exo_pair}): the KL divergence from the policy's preference
 * distribution {@code (σ(z), σ(-z))} to the label-smoothed target {@code (1-ε, ε)}.
 *
 * <pre>
 *   z = β((a - a_ref) - (b - b_ref))
 *   L = σ(z)(log σ(z) - log(1-ε)) + σ(-z)(log σ(-z) - log ε)
 *   d_w = d_l = -β σ(z)σ(-z)(z - log((1-ε)/ε))
 * </pre>
 *
 * {@code a}, {@code b}: policy sums; {@code a_ref}, {@code b_ref}: reference sums; ε: label
 * smoothing, in {@code (0, 1)} ({@code log ε} needs ε &gt; 0). The loss is minimal (0) at {@code
 * z = log((1-ε)/ε)}, where the gradient changes sign. Accepts {@code f_divergence_type} like
 * {@link DpoLoss}.
 *
 * <p>Defaults: {@code beta = 0.1} (TRL's), {@code label_smoothing = 1e-3} (the EXO paper's
 * recommendation; TRL's default 0 is refused by TRL for this loss).
 */
public final class ExoPairLoss extends ScoreDifferenceLoss {

    private final double logOddsTarget;
    private final double logKeep;
    private final double logFlip;

    /**
     * Creates pairwise EXO.
     *
     * @param hp {@code beta}, {@code label_smoothing}, {@code f_divergence_type}, {@code
     *     f_alpha_divergence_coef}
     */
    public ExoPairLoss(Hyperparameters hp) {
        this(hp.positive("beta", 0.1), hp.openFraction("label_smoothing", 1e-3), FDivergence.read(hp), hp);
    }

    private ExoPairLoss(double beta, double epsilon, FDivergence divergence, Hyperparameters hp) {
        super("exo-pair", Reduction.SUM, beta, divergence, hp);
        this.logKeep = Math.log1p(-epsilon);
        this.logFlip = Math.log(epsilon);
        this.logOddsTarget = logKeep - logFlip;
    }

    @Override
    protected NDArray term(NDArray z) {
        NDArray win = sigmoid(z).mul(logSigmoid(z).sub(logKeep));
        NDArray lose = sigmoid(z.neg()).mul(logSigmoid(z.neg()).sub(logFlip));
        return win.add(lose);
    }

    @Override
    protected NDArray slope(NDArray z) {
        return logisticSlope(z).mul(z.sub(logOddsTarget)).neg();
    }
}
