package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.times;
import static io.github.dgpo.losses.StableMath.logSigmoid;
import static io.github.dgpo.losses.StableMath.sigmoid;

import ai.djl.ndarray.NDArray;

/**
 * DPO: Rafailov et al., 2023, "Direct Preference Optimization: Your Language Model is
 * Secretly a Reward Model".
 *
 * <pre>
 *   z = β((a - a_ref) - (b - b_ref))
 *   L = -(1-ε) log σ(z) - ε log σ(-z)
 *   d_w = d_l = β((1-ε)s - ε(1-s)),  s = σ(-z)
 * </pre>
 *
 * {@code a}, {@code b}: policy sums of the chosen and rejected completions; {@code a_ref},
 * {@code b_ref}: the same under the frozen reference (0 with {@code reference_free}); ε: label
 * smoothing (conservative DPO).
 *
 * <p>Defaults: {@code beta = 0.01} (DGPO paper Table 6), {@code label_smoothing = 0}, {@code
 * reference_free = false}. Differs from TRL: TRL's default β is 0.1, and TRL 1.13 has neither
 * label smoothing in {@code sigmoid} nor a {@code reference_free} flag.
 */
public final class DpoLoss extends MarginLoss {

    private final double beta;
    private final double epsilon;
    private final boolean referenceFree;

    /**
     * Creates DPO.
     *
     * @param hp {@code beta}, {@code label_smoothing}, {@code reference_free}
     */
    public DpoLoss(Hyperparameters hp) {
        this(hp.positive("beta", 0.01), hp.halfOpenFraction("label_smoothing", 0), hp.flag("reference_free", false), hp);
    }

    private DpoLoss(double beta, double epsilon, boolean referenceFree, Hyperparameters hp) {
        super("dpo", Reduction.SUM, hp);
        this.beta = beta;
        this.epsilon = epsilon;
        this.referenceFree = referenceFree;
    }

    @Override
    public boolean requiresReference() {
        return !referenceFree;
    }

    @Override
    protected NDArray margin(Pair p) {
        return times(p.a().sub(p.aRef()).sub(p.b().sub(p.bRef())), beta);
    }

    @Override
    protected NDArray marginTerm(NDArray z, Pair p) {
        return times(logSigmoid(z), -(1 - epsilon)).sub(times(logSigmoid(z.neg()), epsilon));
    }

    @Override
    protected NDArray marginDw(NDArray z, Pair p) {
        NDArray s = sigmoid(z.neg());
        return times(times(s, 1 - epsilon).sub(times(s.neg().add(1), epsilon)), beta);
    }

    @Override
    protected NDArray marginDl(NDArray z, Pair p) {
        return marginDw(z, p);
    }

    @Override
    protected double rewardScale() {
        return beta;
    }
}
