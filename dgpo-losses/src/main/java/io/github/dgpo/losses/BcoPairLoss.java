package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.times;
import static io.github.dgpo.losses.StableMath.logSigmoid;
import static io.github.dgpo.losses.StableMath.sigmoid;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import java.util.Optional;

/**
 * BCO, pairwise: Jung et al., 2024, "Binary Classifier Optimization for Large Language Model
 * Alignment" (TRL's {@code bco_pair}): a binary classifier with the chosen reward as logit of
 * "chosen" and the rejected reward as logit of "rejected".
 *
 * <pre>
 *   u_w = β(a - a_ref),  u_l = β(b - b_ref)
 *   L = -log σ(u_w - δ) - log σ(-(u_l - δ))
 *   d_w = βσ(-(u_w - δ)),  d_l = βσ(u_l - δ)
 * </pre>
 *
 * {@code a}, {@code b}: policy sums; {@code a_ref}, {@code b_ref}: reference sums; δ: the reward
 * shift. By default δ = 0, exactly TRL 1.13's {@code bco_pair}. With {@code bco_running_mean =
 * true}, δ is the BCO paper's shift as earlier TRL versions computed it for {@code bco_pair}: the
 * running mean over batches of each batch's mean reward {@code mean(u_w ∪ u_l)} (every batch counts
 * once), updated with the current batch before use and treated as a constant (no gradient flows
 * through it). TRL's experimental BCO trainer keeps a similar mean but counts every reward. That δ
 * is {@link #state() state} carried across batches, and the loss is then {@link #batchDependent()
 * batch-dependent}; metric {@code bco/reward_shift} reports it.
 *
 * <p>Defaults: {@code beta = 0.1} (TRL's), {@code bco_running_mean = false}. Differs from earlier
 * TRL (with the running mean on): the mean is kept in double precision (TRL: float32 updates) and
 * is not gathered across devices.
 */
public final class BcoPairLoss extends RewardTermsLoss {

    private final RunningMean running;
    /** δ of the batch being computed; set by {@link #compute} before the formula reads it. */
    private double shift;

    /**
     * Creates pairwise BCO.
     *
     * @param hp {@code beta}, {@code bco_running_mean}
     */
    public BcoPairLoss(Hyperparameters hp) {
        this(hp.positive("beta", 0.1), hp.flag("bco_running_mean", false), hp);
    }

    private BcoPairLoss(double beta, boolean runningMean, Hyperparameters hp) {
        super("bco-pair", beta, hp);
        this.running = runningMean ? new RunningMean() : null;
    }

    /** With the running mean, δ includes the current batch's rewards. */
    @Override
    public boolean batchDependent() {
        return running != null;
    }

    /** The running mean of rewards, when {@code bco_running_mean} is on. */
    @Override
    public Optional<LossState> state() {
        return Optional.ofNullable(running);
    }

    /**
     * Updates the running mean with this batch (when on), then computes the loss. Not thread-safe:
     * the state belongs to one training run.
     */
    @Override
    public LossOutput compute(PairLogps logps) {
        if (running != null && logps.hasReference()) {
            double chosen = mean(logps.chosenSum().stopGradient().sub(logps.refChosenSum().stopGradient()));
            double rejected = mean(logps.rejectedSum().stopGradient().sub(logps.refRejectedSum().stopGradient()));
            shift = running.update(beta * (chosen + rejected) / 2);
        }
        return super.compute(logps);
    }

    @Override
    protected NDArray marginTerm(NDArray z, Pair p) {
        return logSigmoid(chosenReward(p).sub(shift)).neg().sub(logSigmoid(rejectedReward(p).sub(shift).neg()));
    }

    @Override
    protected NDArray marginDw(NDArray z, Pair p) {
        return times(sigmoid(chosenReward(p).sub(shift).neg()), beta);
    }

    @Override
    protected NDArray marginDl(NDArray z, Pair p) {
        return times(sigmoid(rejectedReward(p).sub(shift)), beta);
    }

    @Override
    protected void addMetrics(Map<String, Double> metrics, NDArray z, Pair p) {
        if (running != null) {
            metrics.put("bco/reward_shift", shift);
        }
    }
}
