package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.times;

import ai.djl.ndarray.NDArray;

/**
 * SPPO with hard probabilities: Wu et al., 2024, "Self-Play Preference Optimization for Language
 * Model Alignment" (Eq. 4.7 with the winner's probability set to 1 and the loser's to 0; TRL's
 * {@code sppo_hard}).
 *
 * <pre>
 *   r_w = a - a_ref,  r_l = b - b_ref
 *   L = (r_w - 1/(2β))² + (r_l + 1/(2β))²
 *   d_w = -2(r_w - 1/(2β)),  d_l = 2(r_l + 1/(2β))
 *   z (reported margin) = β(r_w - r_l)
 * </pre>
 *
 * {@code a}, {@code b}: policy sums; {@code a_ref}, {@code b_ref}: reference sums; {@code 1/β}
 * is the paper's η. The loss pulls each log-ratio to its own target {@code ±1/(2β)}.
 *
 * <p>Defaults: {@code beta = 0.001} (η = 1000, the SPPO authors' training pipeline, {@code
 * uclaml/SPPO scripts/pipeline.sh}; TRL's default is 0.1).
 */
public final class SppoHardLoss extends RewardTermsLoss {

    private final double target;

    /**
     * Creates hard SPPO.
     *
     * @param hp {@code beta}
     */
    public SppoHardLoss(Hyperparameters hp) {
        this(hp.positive("beta", 0.001), hp);
    }

    private SppoHardLoss(double beta, Hyperparameters hp) {
        super("sppo-hard", beta, hp);
        this.target = 0.5 / beta;
    }

    @Override
    protected NDArray marginTerm(NDArray z, Pair p) {
        NDArray winner = p.a().sub(p.aRef()).sub(target);
        NDArray loser = p.b().sub(p.bRef()).add(target);
        return winner.square().add(loser.square());
    }

    @Override
    protected NDArray marginDw(NDArray z, Pair p) {
        return times(p.a().sub(p.aRef()).sub(target), -2);
    }

    @Override
    protected NDArray marginDl(NDArray z, Pair p) {
        return times(p.b().sub(p.bRef()).add(target), 2);
    }
}
