package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.times;
import static io.github.dgpo.losses.StableMath.indicator;
import static io.github.dgpo.losses.StableMath.logAddExp;
import static io.github.dgpo.losses.StableMath.logSigmoid;
import static io.github.dgpo.losses.StableMath.sigmoid;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleBinaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DGPO: "DGPO: Mitigating Likelihood Displacement with Bidirectional KL Divergence Gap"
 * (Eq. 11).
 *
 * <pre>
 *   W = e^a + e^b = exp(logaddexp(a, b))
 *   z = βW(a - b)
 *   L = -log σ(z)
 *   d_w = βs((a - b + 1)e^a + e^b),  d_l = βs(e^a + e^b - (a - b)e^b),  s = σ(-z)
 * </pre>
 *
 * {@code a}, {@code b}: the policy's chosen and rejected log-probabilities under the
 * reduction (per-token average by default); β: temperature. No reference, no other
 * hyperparameter.
 *
 * <p>{@code detach_weight = true} treats {@code W} as a constant (then {@code d_w = d_l =
 * βsW}). With the sum reduction, {@code e^a} of a real response underflows to 0 and the loss
 * stops learning; whenever {@code W < 1e-6} for more than half of a batch a warning is logged
 * and {@code dgpo/weight_underflow} (the fraction of such pairs) reports it.
 *
 * <p>{@link #paperRatio} is the paper's Eq. 12-13 ratio, a diagnostic: it treats {@code a} and
 * {@code b} as independent and drops the cross terms {@code β·a·e^b} and {@code β·b·e^a}, so
 * it differs from the exact {@code d_w/d_l} of this class.
 *
 * <p>Defaults: {@code beta = 2.5} (the DGPO paper's best β in its ablation, Figure 7), {@code
 * reduction = average} (the scale of the paper's reported log-probabilities, about -1, and of
 * its supported region {@code 0 > log π_w > log π_l > -1}), {@code detach_weight = false}. Not
 * in TRL.
 */
public final class DgpoLoss extends MarginLoss {

    /** Weight below which a pair counts as underflowed. */
    public static final double UNDERFLOW = 1e-6;

    private static final Logger LOG = LoggerFactory.getLogger(DgpoLoss.class);
    private static final AtomicLong UNDERFLOW_WARNINGS = new AtomicLong();

    private final double beta;
    private final boolean detachWeight;

    /**
     * Creates DGPO.
     *
     * @param hp {@code beta}, {@code reduction}, {@code detach_weight}
     */
    public DgpoLoss(Hyperparameters hp) {
        this(hp.positive("beta", 2.5), hp.reduction("reduction", Reduction.AVERAGE), hp.flag("detach_weight", false), hp);
    }

    private DgpoLoss(double beta, Reduction reduction, boolean detachWeight, Hyperparameters hp) {
        super("dgpo", reduction, hp);
        this.beta = beta;
        this.detachWeight = detachWeight;
    }

    @Override
    public boolean requiresReference() {
        return false;
    }

    @Override
    protected NDArray margin(Pair p) {
        NDArray weight = weight(p);
        if (detachWeight) {
            weight = weight.stopGradient();
        }
        return times(weight.mul(p.a().sub(p.b())), beta);
    }

    @Override
    protected NDArray marginTerm(NDArray z, Pair p) {
        return logSigmoid(z).neg();
    }

    @Override
    protected NDArray marginDw(NDArray z, Pair p) {
        NDArray bs = times(sigmoid(z.neg()), beta);
        if (detachWeight) {
            return bs.mul(weight(p));
        }
        NDArray ea = p.a().exp();
        NDArray eb = p.b().exp();
        return bs.mul(p.a().sub(p.b()).add(1).mul(ea).add(eb));
    }

    @Override
    protected NDArray marginDl(NDArray z, Pair p) {
        NDArray bs = times(sigmoid(z.neg()), beta);
        if (detachWeight) {
            return bs.mul(weight(p));
        }
        NDArray ea = p.a().exp();
        NDArray eb = p.b().exp();
        return bs.mul(ea.add(eb).sub(p.a().sub(p.b()).mul(eb)));
    }

    @Override
    protected double rewardScale() {
        return beta;
    }

    /** {@code "paper"}: the Eq. 12-13 ratio {@link #paperRatio(double, double)}. */
    @Override
    public Map<String, DoubleBinaryOperator> diagnostics() {
        return Map.of("paper", DgpoLoss::paperRatio);
    }

    @Override
    protected void addMetrics(Map<String, Double> metrics, NDArray z, Pair p) {
        double underflow = mean(indicator(weight(p).lt(UNDERFLOW), z));
        metrics.put("dgpo/weight_underflow", underflow);
        metrics.put("dgpo/paper_ratio_eq13", mean(paperRatio(p.a(), p.b())));
        if (underflow > 0.5) {
            long n = UNDERFLOW_WARNINGS.getAndIncrement();
            if (n < 10 || n % 1000 == 0) {
                LOG.warn(
                        "DGPO weight e^a + e^b is below {} for {}% of the batch (reduction={}): the"
                                + " loss has almost no gradient. Use reduction=average.",
                        UNDERFLOW,
                        Math.round(underflow * 100),
                        reduction().label());
            }
        }
    }

    /**
     * The DGPO paper's Eq. 12-13 ratio {@code ((a + 1)e^a + e^b) / ((b + 1)e^b + e^a)}: a
     * diagnostic that drops the cross terms of the exact gradient (see the class comment).
     *
     * @param a chosen log-probability under the reduction
     * @param b rejected log-probability under the reduction
     * @return the paper's ratio per pair
     */
    public static NDArray paperRatio(NDArray a, NDArray b) {
        NDArray ea = a.exp();
        NDArray eb = b.exp();
        return a.add(1).mul(ea).add(eb).div(b.add(1).mul(eb).add(ea));
    }

    /**
     * The paper's ratio for one point.
     *
     * @param a chosen log-probability
     * @param b rejected log-probability
     * @return {@code ((a + 1)e^a + e^b) / ((b + 1)e^b + e^a)}
     */
    public static double paperRatio(double a, double b) {
        double ea = Math.exp(a);
        double eb = Math.exp(b);
        return ((a + 1) * ea + eb) / ((b + 1) * eb + ea);
    }

    private static NDArray weight(Pair p) {
        return logAddExp(p.a(), p.b()).exp();
    }
}
