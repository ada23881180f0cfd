package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.times;
import static io.github.dgpo.losses.StableMath.logisticSlope;
import static io.github.dgpo.losses.StableMath.sigmoid;

import ai.djl.ndarray.NDArray;

/**
 * APO-zero: D'Oosterlinck et al., 2024, "Anchored Preference Optimization and Contrastive
 * Revisions" (Eq. 7; TRL's {@code apo_zero}): for chosen outputs better than the model's own,
 * raise the chosen likelihood and lower the rejected one, each anchored at the reference.
 *
 * <pre>
 *   u_w = β(a - a_ref),  u_l = β(b - b_ref)
 *   L = (1 - σ(u_w)) + σ(u_l)
 *   d_w = βσ(u_w)σ(-u_w),  d_l = βσ(u_l)σ(-u_l)
 * </pre>
 *
 * {@code a}, {@code b}: policy sums; {@code a_ref}, {@code b_ref}: reference sums.
 *
 * <p>Defaults: {@code beta = 0.1} (TRL's).
 */
public final class ApoZeroLoss extends RewardTermsLoss {

    /**
     * Creates APO-zero.
     *
     * @param hp {@code beta}
     */
    public ApoZeroLoss(Hyperparameters hp) {
        super("apo-zero", hp.positive("beta", 0.1), hp);
    }

    @Override
    protected NDArray marginTerm(NDArray z, Pair p) {
        return sigmoid(chosenReward(p)).neg().add(1).add(sigmoid(rejectedReward(p)));
    }

    @Override
    protected NDArray marginDw(NDArray z, Pair p) {
        return times(logisticSlope(chosenReward(p)), beta);
    }

    @Override
    protected NDArray marginDl(NDArray z, Pair p) {
        return times(logisticSlope(rejectedReward(p)), beta);
    }
}
