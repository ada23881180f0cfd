package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.times;
import static io.github.dgpo.losses.StableMath.indicator;
import static io.github.dgpo.losses.StableMath.logisticSlope;
import static io.github.dgpo.losses.StableMath.sigmoid;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * KTO: Ethayarajh et al., 2024, "KTO: Model Alignment as Prospect Theoretic Optimization".
 *
 * <pre>
 *   u_w = β(a - a_ref - z0),  u_l = β(z0 - (b - b_ref))
 *   L = λ_w(1 - σ(u_w)) + λ_l(1 - σ(u_l))
 *   d_w = λ_w β σ(u_w)(1 - σ(u_w)),  d_l = λ_l β σ(u_l)(1 - σ(u_l))
 *   z (reported margin) = β((a - a_ref) - (b - b_ref))
 * </pre>
 *
 * {@code a}, {@code b}: policy sums; {@code a_ref}, {@code b_ref}: reference sums; {@code z0}:
 * the reference point, a constant (no gradient flows through it). Unless {@code z0} is given,
 * {@code z0 = max(0, mean(log π(y'|x) - log π_ref(y'|x)))} over mismatched pairs (prompt of pair
 * {@code i} with the chosen completion of pair {@code (i+1) mod B}, scored without gradient);
 * a batch of one pair uses {@code z0 = 0}. {@code z0 = 0} given explicitly skips the mismatched
 * passes. {@link #computeUnpaired} takes KTO's native unpaired form.
 *
 * <p>Defaults: {@code beta = 0.01}, {@code lambda_w = 1}, {@code lambda_l = 1} (DGPO paper Table
 * 6). Differs from TRL: TRL pairs each prompt with a shuffled completion for {@code z0} and
 * gathers it across devices; here the mismatch is the fixed shift by one within the batch.
 */
public final class KtoLoss extends MarginLoss implements UnpairedLoss {

    private final double beta;
    private final double lambdaW;
    private final double lambdaL;
    private final OptionalDouble givenZ0;

    /**
     * Creates KTO.
     *
     * @param hp {@code beta}, {@code lambda_w}, {@code lambda_l}, optional {@code z0}
     */
    public KtoLoss(Hyperparameters hp) {
        this(hp.positive("beta", 0.01), hp.nonNegative("lambda_w", 1), hp.nonNegative("lambda_l", 1), hp.optionalFinite("z0"), hp);
    }

    private KtoLoss(double beta, double lambdaW, double lambdaL, OptionalDouble z0, Hyperparameters hp) {
        super("kto", Reduction.SUM, hp);
        this.beta = beta;
        this.lambdaW = lambdaW;
        this.lambdaL = lambdaL;
        this.givenZ0 = z0;
    }

    @Override
    public boolean requiresReference() {
        return true;
    }

    /** Reference always; mismatched pairs unless {@code z0} is given. */
    @Override
    public Set<LossInput> inputs() {
        return givenZ0.isEmpty() ? EnumSet.of(LossInput.REFERENCE, LossInput.MISMATCHED_PAIRS) : EnumSet.of(LossInput.REFERENCE);
    }

    /** An estimated {@code z0} is a batch statistic. */
    @Override
    public boolean batchDependent() {
        return givenZ0.isEmpty();
    }

    @Override
    public Optional<UnpairedLoss> unpaired() {
        return Optional.of(this);
    }

    @Override
    public boolean needsMismatchedExamples() {
        return givenZ0.isEmpty();
    }

    /** KTO with {@code z0 = 0} unless {@code z0} is given: a table of sums has no mismatched pairs. */
    @Override
    public PreferenceLoss fromSumsOnly() {
        if (givenZ0.isPresent()) {
            return this;
        }
        Map<String, Object> hp = new LinkedHashMap<>(hyperparameters());
        hp.put("z0", 0.0);
        return new KtoLoss(new Hyperparameters(hp));
    }

    /**
     * The reference point {@code z0} for a batch.
     *
     * @param batchSize {@code B}
     * @param mismatched policy sums of the mismatched pairs, or null
     * @param mismatchedRef reference sums of the mismatched pairs, or null
     * @return {@code z0}
     */
    public double referencePoint(int batchSize, NDArray mismatched, NDArray mismatchedRef) {
        if (givenZ0.isPresent()) {
            return givenZ0.getAsDouble();
        }
        if (batchSize == 1) {
            return 0;
        }
        if (mismatched == null || mismatchedRef == null) {
            throw new IllegalArgumentException(
                    "kto needs mismatched-pair log-probabilities to estimate z0 for a batch of "
                            + batchSize
                            + "; give them or set z0");
        }
        return Math.max(0, mean(mismatched.stopGradient().sub(mismatchedRef.stopGradient())));
    }

    private double z0(Pair p) {
        PairLogps in = p.input();
        return referencePoint(in.size(), in.mismatchedSum(), in.mismatchedRefSum());
    }

    @Override
    protected NDArray margin(Pair p) {
        return times(p.a().sub(p.aRef()).sub(p.b().sub(p.bRef())), beta);
    }

    @Override
    protected NDArray marginTerm(NDArray z, Pair p) {
        double z0 = z0(p);
        NDArray chosen = times(sigmoid(times(p.a().sub(p.aRef()).sub(z0), beta)).neg().add(1), lambdaW);
        NDArray rejected =
                times(sigmoid(times(p.b().sub(p.bRef()).neg().add(z0), beta)).neg().add(1), lambdaL);
        return chosen.add(rejected);
    }

    @Override
    protected NDArray marginDw(NDArray z, Pair p) {
        return times(logisticSlope(times(p.a().sub(p.aRef()).sub(z0(p)), beta)), lambdaW * beta);
    }

    @Override
    protected NDArray marginDl(NDArray z, Pair p) {
        return times(logisticSlope(times(p.b().sub(p.bRef()).neg().add(z0(p)), beta)), lambdaL * beta);
    }

    @Override
    protected double rewardScale() {
        return beta;
    }

    @Override
    protected void addMetrics(Map<String, Double> metrics, NDArray z, Pair p) {
        metrics.put("kl", z0(p));
    }

    /**
     * KTO on unpaired examples: {@code L = λ_w(1 - σ(β(r - z0)))} for a desirable completion,
     * {@code λ_l(1 - σ(β(z0 - r)))} for an undesirable one, {@code r = S - S_ref}. In the
     * output, {@code dW} holds {@code -∂L/∂S} of desirable examples (0 elsewhere), {@code dL}
     * holds {@code ∂L/∂S} of undesirable ones, and {@code margins} holds {@code β r}.
     *
     * @param in the examples
     * @return per-example and batch losses, gradients and metrics
     */
    @Override
    public LossOutput computeUnpaired(UnpairedLogps in) {
        double z0 = referencePoint(in.size(), in.mismatchedSum(), in.mismatchedRefSum());
        NDArray r = in.sum().sub(in.refSum());
        NDArray good = indicator(in.desirable(), r);
        NDArray bad = good.neg().add(1);
        NDArray uw = times(r.sub(z0), beta);
        NDArray ul = times(r.neg().add(z0), beta);
        NDArray perExample =
                sigmoid(uw).neg().add(1).mul(times(good, lambdaW))
                        .add(sigmoid(ul).neg().add(1).mul(times(bad, lambdaL)));
        NDArray uwd = uw.stopGradient();
        NDArray uld = ul.stopGradient();
        NDArray dW = times(logisticSlope(uwd), lambdaW * beta).mul(good);
        NDArray dL = times(logisticSlope(uld), lambdaL * beta).mul(bad);
        NDArray rewards = times(r.stopGradient(), beta);

        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("loss", mean(perExample.stopGradient()));
        metrics.put("rewards/chosen", maskedMean(rewards, good));
        metrics.put("rewards/rejected", maskedMean(rewards, bad));
        metrics.put("kl", z0);
        metrics.put("count/desirable", good.sum().toType(DataType.FLOAT64, false).getDouble());
        metrics.put("count/undesirable", bad.sum().toType(DataType.FLOAT64, false).getDouble());
        return new LossOutput(perExample, perExample.mean(), rewards, dW, dL, metrics);
    }

    private static double maskedMean(NDArray x, NDArray mask) {
        double n = mask.sum().toType(DataType.FLOAT64, false).getDouble();
        return n == 0 ? Double.NaN : x.mul(mask).sum().toType(DataType.FLOAT64, false).getDouble() / n;
    }
}
