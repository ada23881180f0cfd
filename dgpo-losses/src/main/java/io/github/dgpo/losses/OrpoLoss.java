package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.times;
import static io.github.dgpo.core.Scalars.atMost;
import static io.github.dgpo.losses.StableMath.indicator;
import static io.github.dgpo.losses.StableMath.logOneMinusExp;
import static io.github.dgpo.losses.StableMath.logSigmoid;
import static io.github.dgpo.losses.StableMath.oneMinusExp;
import static io.github.dgpo.losses.StableMath.sigmoid;

import ai.djl.ndarray.NDArray;

/**
 * ORPO: Hong et al., 2024, "ORPO: Monolithic Preference Optimization without Reference
 * Model".
 *
 * <pre>
 *   lo(x) = x - log(1 - e^x)                 (log-odds of a per-token average)
 *   z = lo(A_w) - lo(A_l)
 *   L = -A_w - λ log σ(z)
 *   d_w = 1 + λs/(1 - e^{A_w}),  d_l = λs/(1 - e^{A_l}),  s = σ(-z)   (on the averages)
 * </pre>
 *
 * {@code A_w}, {@code A_l}: per-token averages; λ: weight of the odds-ratio term. No
 * reference. {@code log(1 - e^x)} is computed as {@code log(-expm1(x))} through {@link
 * StableMath#logOneMinusExp}, and {@code x} is clamped to at most {@value #CLAMP} so that a
 * perfectly predicted completion ({@code A = 0}) gives a finite loss (its gradient through the
 * clamp is then 0).
 *
 * <p>Defaults: {@code lambda = 1} (DGPO paper Table 6). Differs from TRL: TRL's NLL term covers
 * the prompt tokens too and is one token-weighted mean over the batch; here it is the chosen
 * completion's per-token average, per pair.
 */
public final class OrpoLoss extends MarginLoss {

    /** Upper clamp of a per-token average inside {@code lo(x)}. */
    public static final double CLAMP = -1e-12;

    private final double lambda;

    /**
     * Creates ORPO.
     *
     * @param hp {@code lambda}
     */
    public OrpoLoss(Hyperparameters hp) {
        this(hp.nonNegative("lambda", 1), hp);
    }

    private OrpoLoss(double lambda, Hyperparameters hp) {
        super("orpo", Reduction.AVERAGE, hp);
        this.lambda = lambda;
    }

    @Override
    public boolean requiresReference() {
        return false;
    }

    @Override
    protected NDArray margin(Pair p) {
        return logOdds(p.a()).sub(logOdds(p.b()));
    }

    @Override
    protected NDArray marginTerm(NDArray z, Pair p) {
        return times(logSigmoid(z), -lambda);
    }

    @Override
    protected NDArray marginDw(NDArray z, Pair p) {
        return oddsGradient(z, p.a());
    }

    @Override
    protected NDArray marginDl(NDArray z, Pair p) {
        return oddsGradient(z, p.b());
    }

    @Override
    protected double nllWeight() {
        return 1;
    }

    private static NDArray logOdds(NDArray x) {
        NDArray clamped = atMost(x, CLAMP);
        return clamped.sub(logOneMinusExp(clamped));
    }

    /** {@code λ s lo'(x)} with {@code lo'(x) = 1/(1 - e^x)}, 0 where the clamp is active. */
    private NDArray oddsGradient(NDArray z, NDArray x) {
        NDArray clamped = atMost(x, CLAMP);
        return times(sigmoid(z.neg()), lambda)
                .div(oneMinusExp(clamped))
                .mul(indicator(x.lt(CLAMP), x));
    }
}
