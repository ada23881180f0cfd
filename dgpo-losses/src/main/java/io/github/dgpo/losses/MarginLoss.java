package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.times;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The machinery every loss shares: reductions, reference handling, the NLL regulariser
 * {@code Λ(a) = w·A_w}, the chain rule from the loss's reduction to the sums, the batch mean
 * and the metrics. A subclass states only its formula: the margin {@code z}, the margin term
 * {@code -m(z)}, and the closed-form {@code d_w}, {@code d_l} of that term with respect to its
 * own {@code a}, {@code b}.
 */
public abstract class MarginLoss implements PreferenceLoss {

    private final String name;
    private final Reduction reduction;
    private final Map<String, Object> hyperparameters;

    /**
     * Creates the loss.
     *
     * @param name config name
     * @param reduction the reduction {@code a}, {@code b} are read under
     * @param hp the hyperparameters, already read by the subclass
     */
    protected MarginLoss(String name, Reduction reduction, Hyperparameters hp) {
        this.name = name;
        this.reduction = reduction;
        this.hyperparameters = hp.effective();
    }

    /**
     * The margin {@code z = h_w(a, b) - h_l(a, b)} per pair.
     *
     * @param p the batch's values
     * @return {@code z}
     */
    protected abstract NDArray margin(Pair p);

    /**
     * The margin term {@code -m(z)} per pair (without the NLL term).
     *
     * @param z the margin
     * @param p the batch's values
     * @return the per-pair loss before {@code Λ}
     */
    protected abstract NDArray marginTerm(NDArray z, Pair p);

    /**
     * Closed form of {@code -∂(-m)/∂a} on the loss's own reduction (detached inputs).
     *
     * @param z the margin
     * @param p the batch's detached values
     * @return {@code d_w} of the margin term
     */
    protected abstract NDArray marginDw(NDArray z, Pair p);

    /**
     * Closed form of {@code ∂(-m)/∂b} on the loss's own reduction (detached inputs).
     *
     * @param z the margin
     * @param p the batch's detached values
     * @return {@code d_l} of the margin term
     */
    protected abstract NDArray marginDl(NDArray z, Pair p);

    /**
     * Weight {@code w} of the NLL regulariser {@code Λ(a) = w·A_w} (always on the chosen
     * per-token average); 0 for none.
     *
     * @return the weight
     */
    protected double nllWeight() {
        return 0;
    }

    /**
     * Scale of {@code rewards/chosen = scale·(a - a_ref)}: the loss's β, or 1.
     *
     * @return the scale
     */
    protected double rewardScale() {
        return 1;
    }

    /**
     * Adds loss-specific metrics.
     *
     * @param metrics the batch metrics to extend
     * @param z the detached margin
     * @param p the detached values
     */
    protected void addMetrics(Map<String, Double> metrics, NDArray z, Pair p) {}

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final Reduction reduction() {
        return reduction;
    }

    @Override
    public Map<String, Object> hyperparameters() {
        return hyperparameters;
    }

    @Override
    public LossOutput compute(PairLogps logps) {
        if (requiresReference() && !logps.hasReference()) {
            throw new IllegalArgumentException(
                    "loss '" + name + "' needs reference log-probabilities (ref_chosen_logp_sum,"
                            + " ref_rejected_logp_sum)");
        }
        Pair p = Pair.of(logps, reduction, requiresReference());
        NDArray z = margin(p);
        NDArray perPair = marginTerm(z, p);
        double w = nllWeight();
        if (w != 0) {
            perPair = perPair.sub(times(p.avgChosen(), w));
        }

        Pair d = p.detached();
        NDArray zd = z.stopGradient();
        NDArray dW = marginDw(zd, d);
        NDArray dL = marginDl(zd, d);
        if (reduction == Reduction.AVERAGE) {
            dW = dW.div(d.chosenTokens());
            dL = dL.div(d.rejectedTokens());
        }
        if (w != 0) {
            dW = dW.add(times(d.chosenTokens().pow(-1), w));
        }

        Map<String, Double> metrics = new LinkedHashMap<>();
        putPairMetrics(metrics, perPair, logps, d, rewardScale() * mean(d.a().sub(d.aRef())), rewardScale() * mean(d.b().sub(d.bRef())), zd);
        putGradientMeans(metrics, dW, dL);
        addMetrics(metrics, zd, d);
        return new LossOutput(perPair, perPair.mean(), zd, dW, dL, metrics);
    }

    /**
     * Puts the metrics every pair loss reports, with TRL's names: {@code loss}, {@code
     * logps/chosen|rejected} (sums), {@code logps_avg/chosen|rejected}, {@code
     * rewards/chosen|rejected}, {@code rewards/margins} and {@code rewards/accuracies}.
     *
     * @param metrics the metrics to extend
     * @param perPair per-pair losses
     * @param logps the loss's input
     * @param d its detached pair view
     * @param rewardChosen mean chosen reward
     * @param rewardRejected mean rejected reward
     * @param margins per-pair margins, detached
     */
    static void putPairMetrics(Map<String, Double> metrics, NDArray perPair, PairLogps logps, Pair d, double rewardChosen, double rewardRejected,
            NDArray margins) {
        metrics.put("loss", mean(perPair.stopGradient()));
        metrics.put("logps/chosen", mean(logps.chosenSum().stopGradient()));
        metrics.put("logps/rejected", mean(logps.rejectedSum().stopGradient()));
        metrics.put("logps_avg/chosen", mean(d.avgChosen()));
        metrics.put("logps_avg/rejected", mean(d.avgRejected()));
        metrics.put("rewards/chosen", rewardChosen);
        metrics.put("rewards/rejected", rewardRejected);
        metrics.put("rewards/margins", mean(margins));
        metrics.put("rewards/accuracies", mean(StableMath.indicator(margins.gt(0), margins)));
    }

    /**
     * Puts {@code d_w}, {@code d_l} (means) and {@code d_w/d_l} (their ratio; NaN when the mean
     * {@code d_l} is 0).
     *
     * @param metrics the metrics to extend
     * @param dW per-pair {@code d_w}
     * @param dL per-pair {@code d_l}
     */
    static void putGradientMeans(Map<String, Double> metrics, NDArray dW, NDArray dL) {
        double meanDw = mean(dW);
        double meanDl = mean(dL);
        metrics.put("d_w", meanDw);
        metrics.put("d_l", meanDl);
        metrics.put("d_w/d_l", meanDl == 0 ? Double.NaN : meanDw / meanDl);
    }

    /**
     * Mean of an array as a double, whatever its dtype.
     *
     * @param x the array
     * @return its mean
     */
    protected static double mean(NDArray x) {
        return x.toType(DataType.FLOAT64, false).mean().getDouble();
    }

    @Override
    public String toString() {
        return name + hyperparameters;
    }
}
