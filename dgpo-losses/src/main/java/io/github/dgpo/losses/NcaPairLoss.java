package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.times;
import static io.github.dgpo.losses.StableMath.logSigmoid;
import static io.github.dgpo.losses.StableMath.sigmoid;

import ai.djl.ndarray.NDArray;

/**
 * NCA, pairwise: Chen et al., 2024, "Noise Contrastive Alignment of Language Models with Explicit
 * Rewards" (TRL's {@code nca_pair}): raises the chosen reward in absolute terms, not only relative
 * to the rejected one.
 *
 * <pre>
 *   u_w = β(a - a_ref),  u_l = β(b - b_ref)
 *   L = -log σ(u_w) - ½ log σ(-u_w) - ½ log σ(-u_l)
 *   d_w = β(σ(-u_w) - ½σ(u_w)),  d_l = ½βσ(u_l)
 * </pre>
 *
 * {@code a}, {@code b}: policy sums; {@code a_ref}, {@code b_ref}: reference sums.
 *
 * <p>Defaults: {@code beta = 0.1} (TRL's).
 */
public final class NcaPairLoss extends RewardTermsLoss {

    /**
     * Creates pairwise NCA.
     *
     * @param hp {@code beta}
     */
    public NcaPairLoss(Hyperparameters hp) {
        super("nca-pair", hp.positive("beta", 0.1), hp);
    }

    @Override
    protected NDArray marginTerm(NDArray z, Pair p) {
        NDArray uw = chosenReward(p);
        NDArray ul = rejectedReward(p);
        return logSigmoid(uw).neg()
                .sub(times(logSigmoid(uw.neg()), 0.5))
                .sub(times(logSigmoid(ul.neg()), 0.5));
    }

    @Override
    protected NDArray marginDw(NDArray z, Pair p) {
        NDArray uw = chosenReward(p);
        return times(sigmoid(uw.neg()).sub(times(sigmoid(uw), 0.5)), beta);
    }

    @Override
    protected NDArray marginDl(NDArray z, Pair p) {
        return times(sigmoid(rejectedReward(p)), 0.5 * beta);
    }
}
