package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.constant;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.DoubleBinaryOperator;

/**
 * WPO: Zhou et al., 2024, "WPO: Enhancing RLHF with Weighted Preference Optimization" (Eq. 2;
 * TRL's {@code use_weighting}): any paired loss with each pair's loss multiplied by how likely the
 * current policy is to produce the pair, a constant (no gradient flows through it).
 *
 * <pre>
 *   w = exp(Ā_w / n_w + Ā_l / n_l),   Ā = Σ_t (log π(y_t) - log Σ_v π(v)²)
 *   L_i ← w_i L_i,   d_w,i ← w_i d_w,i,   d_l,i ← w_i d_l,i
 * </pre>
 *
 * {@code Ā}: a completion's token-alignment sum ({@link PairLogps#chosenAlignment()}, {@link
 * LossInput#TOKEN_ALIGNMENT}): each token's log-probability normalised by the policy's own
 * distribution at that position ("distribution-aligned"; {@code Σ_v π(v)²} is the probability of
 * sampling any token twice), length-normalised by the completion's token count {@code n} (at least
 * 1, as TRL clamps it). Exactly TRL 1.13's weights: {@code exp} of the two length-normalised sums,
 * multiplied. Metric {@code wpo/weight}: the mean weight (TRL logs none).
 *
 * <p>Created by {@link PreferenceLosses#create} when {@code use_weighting} is true; wraps a single
 * loss or a whole {@link LossMixture} (each term is weighted, as in TRL; TRL 1.13 raises for its
 * {@code sft} term on batches of more than one pair, an in-place multiply of an expanded tensor,
 * where dgpo weights it per pair like the others). Refused for losses that sort within the batch
 * ({@code aot}, {@code aot-unpaired}), as in TRL. Has no unpaired form.
 */
public final class WpoWeightedLoss implements PreferenceLoss {

    private final PreferenceLoss inner;
    private final Map<String, Object> hyperparameters;

    /**
     * Weights a loss.
     *
     * @param inner the paired loss
     * @throws IllegalArgumentException for a loss that sorts within the batch
     */
    WpoWeightedLoss(PreferenceLoss inner) {
        if (sortsWithinBatch(inner)) {
            throw new IllegalArgumentException("use_weighting cannot weight '" + inner.name()
                    + "': it sorts within the batch, which would misalign the per-pair weights");
        }
        this.inner = inner;
        Map<String, Object> hp = new LinkedHashMap<>(inner.hyperparameters());
        hp.put("use_weighting", true);
        this.hyperparameters = Collections.unmodifiableMap(hp);
    }

    private static boolean sortsWithinBatch(PreferenceLoss loss) {
        if (loss instanceof LossMixture mixture) {
            return mixture.terms().stream().anyMatch(WpoWeightedLoss::sortsWithinBatch);
        }
        return loss instanceof OptimalTransportLoss;
    }

    /** @return the weighted loss */
    public PreferenceLoss inner() {
        return inner;
    }

    /**
     * The pair weights {@code exp(Ā_w / max(n_w, 1) + Ā_l / max(n_l, 1))}, detached.
     *
     * @param in the batch, with alignment sums
     * @return {@code [B]} weights in the dtype of the sums
     * @throws IllegalArgumentException when the alignment sums are missing
     */
    public static NDArray weights(PairLogps in) {
        if (in.chosenAlignment() == null || in.rejectedAlignment() == null) {
            throw new IllegalArgumentException(
                    "use_weighting (WPO) needs the token-alignment sums of both completions (LossInput.TOKEN_ALIGNMENT:"
                            + " chosenAlignment, rejectedAlignment)");
        }
        NDArray like = in.chosenSum();
        NDArray nw = in.chosenTokens().toType(like.getDataType(), false);
        NDArray nl = in.rejectedTokens().toType(like.getDataType(), false);
        NDArray one = constant(like, 1);
        NDArray chosen = in.chosenAlignment().stopGradient().div(nw.maximum(one));
        NDArray rejected = in.rejectedAlignment().stopGradient().div(nl.maximum(one));
        return chosen.add(rejected).exp();
    }

    @Override
    public LossOutput compute(PairLogps logps) {
        NDArray w = weights(logps);
        LossOutput out = inner.compute(logps);
        NDArray perPair = out.perPair().mul(w);
        NDArray dW = out.dW().mul(w);
        NDArray dL = out.dL().mul(w);
        Map<String, Double> metrics = new LinkedHashMap<>(out.metrics());
        metrics.put("loss", MarginLoss.mean(perPair.stopGradient()));
        MarginLoss.putGradientMeans(metrics, dW, dL);
        metrics.put("wpo/weight", MarginLoss.mean(w));
        return new LossOutput(perPair, perPair.mean(), out.margins(), dW, dL, metrics);
    }

    /** The inner loss's name: weighting is an option of the loss, not another loss. */
    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public Reduction reduction() {
        return inner.reduction();
    }

    @Override
    public boolean requiresReference() {
        return inner.requiresReference();
    }

    /** The inner loss's, with {@code use_weighting = true}. */
    @Override
    public Map<String, Object> hyperparameters() {
        return hyperparameters;
    }

    /** The inner loss's inputs and {@link LossInput#TOKEN_ALIGNMENT}. */
    @Override
    public Set<LossInput> inputs() {
        Set<LossInput> inputs = EnumSet.of(LossInput.TOKEN_ALIGNMENT);
        inputs.addAll(inner.inputs());
        return inputs;
    }

    @Override
    public boolean batchDependent() {
        return inner.batchDependent();
    }

    @Override
    public Map<String, DoubleBinaryOperator> diagnostics() {
        return inner.diagnostics();
    }

    @Override
    public Optional<LossState> state() {
        return inner.state();
    }

    /** Still weighted: the alignment sums are per pair, not passes over other pairs. */
    @Override
    public PreferenceLoss fromSumsOnly() {
        PreferenceLoss sums = inner.fromSumsOnly();
        return sums == inner ? this : new WpoWeightedLoss(sums);
    }

    @Override
    public String toString() {
        return "wpo(" + inner + ")";
    }
}
