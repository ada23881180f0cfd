package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.times;
import static io.github.dgpo.losses.StableMath.logisticSlope;
import static io.github.dgpo.losses.StableMath.sigmoid;

import ai.djl.ndarray.NDArray;

/**
 * APO-down: D'Oosterlinck et al., 2024, "Anchored Preference Optimization and Contrastive
 * Revisions" (Eq. 8; TRL's {@code apo_down}): for chosen outputs worse than the model's own, lower
 * the chosen likelihood and the rejected one more.
 *
 * <pre>
 *   u_w = β(a - a_ref),  u_l = β(b - b_ref),  z = u_w - u_l
 *   L = σ(u_w) + (1 - σ(z))
 *   d_w = β(σ(z)σ(-z) - σ(u_w)σ(-u_w)),  d_l = βσ(z)σ(-z)
 * </pre>
 *
 * {@code a}, {@code b}: policy sums; {@code a_ref}, {@code b_ref}: reference sums. {@code d_w} is
 * negative where the anchor term dominates: gradient descent then lowers the chosen likelihood.
 *
 * <p>Defaults: {@code beta = 0.1} (TRL's).
 */
public final class ApoDownLoss extends RewardTermsLoss {

    /**
     * Creates APO-down.
     *
     * @param hp {@code beta}
     */
    public ApoDownLoss(Hyperparameters hp) {
        super("apo-down", hp.positive("beta", 0.1), hp);
    }

    @Override
    protected NDArray marginTerm(NDArray z, Pair p) {
        return sigmoid(chosenReward(p)).add(1).sub(sigmoid(z));
    }

    @Override
    protected NDArray marginDw(NDArray z, Pair p) {
        return times(logisticSlope(z).sub(logisticSlope(chosenReward(p))), beta);
    }

    @Override
    protected NDArray marginDl(NDArray z, Pair p) {
        return times(logisticSlope(z), beta);
    }
}
