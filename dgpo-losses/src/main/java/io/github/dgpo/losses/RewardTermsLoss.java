package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.times;

import ai.djl.ndarray.NDArray;

/**
 * The losses with separate terms for the chosen and the rejected implicit reward {@code u_w =
 * β(a - a_ref)}, {@code u_l = β(b - b_ref)} (on the sums, with a reference), rather than a
 * function of their difference alone. The reported margin is {@code z = u_w - u_l}. TRL rejects an
 * f-divergence for these losses (its reparameterisation leaves a {@code β log Z(x)} term that
 * cancels only in the difference), so they have none.
 */
public abstract class RewardTermsLoss extends MarginLoss {

    /** The reward scale β. */
    protected final double beta;

    RewardTermsLoss(String name, double beta, Hyperparameters hp) {
        super(name, Reduction.SUM, hp);
        this.beta = beta;
    }

    @Override
    public final boolean requiresReference() {
        return true;
    }

    /**
     * {@code u_w = β(a - a_ref)}.
     *
     * @param p the batch's values
     * @return the chosen rewards
     */
    protected final NDArray chosenReward(Pair p) {
        return times(p.a().sub(p.aRef()), beta);
    }

    /**
     * {@code u_l = β(b - b_ref)}.
     *
     * @param p the batch's values
     * @return the rejected rewards
     */
    protected final NDArray rejectedReward(Pair p) {
        return times(p.b().sub(p.bRef()), beta);
    }

    @Override
    protected final NDArray margin(Pair p) {
        return chosenReward(p).sub(rejectedReward(p));
    }

    @Override
    protected final double rewardScale() {
        return beta;
    }
}
