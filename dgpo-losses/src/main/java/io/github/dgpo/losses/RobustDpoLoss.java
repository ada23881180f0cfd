package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.times;
import static io.github.dgpo.losses.StableMath.logSigmoid;
import static io.github.dgpo.losses.StableMath.sigmoid;

import ai.djl.ndarray.NDArray;

/**
 * Robust DPO: Chowdhury et al., 2024, "Provably Robust DPO: Aligning Language Models with Noisy
 * Feedback" (TRL's {@code robust}).
 *
 * <pre>
 *   z = β((a - a_ref) - (b - b_ref))
 *   L = (-(1-ε) log σ(z) + ε log σ(-z)) / (1 - 2ε)
 *   d_w = d_l = β((1-ε)σ(-z) + εσ(z)) / (1 - 2ε)
 * </pre>
 *
 * {@code a}, {@code b}: policy sums; {@code a_ref}, {@code b_ref}: reference sums; ε: the
 * probability that a preference label is flipped, in {@code [0, 0.5)}. Unlike conservative DPO
 * ({@link DpoLoss} with label smoothing) the flipped term enters with a plus sign, so the loss is
 * an unbiased estimate of the clean-label loss and decreases without bound as {@code z} grows
 * (slope {@code βε/(1-2ε)}). Accepts {@code f_divergence_type} like {@link DpoLoss}.
 *
 * <p>Defaults: {@code beta = 0.1} (TRL's), {@code label_smoothing = 0.1} (the paper's typical
 * flip rate, as TRL's documentation recommends; TRL's own default 0 makes the loss plain DPO).
 */
public final class RobustDpoLoss extends ScoreDifferenceLoss {

    private final double epsilon;

    /**
     * Creates robust DPO.
     *
     * @param hp {@code beta}, {@code label_smoothing}, {@code f_divergence_type}, {@code
     *     f_alpha_divergence_coef}
     */
    public RobustDpoLoss(Hyperparameters hp) {
        this(hp.positive("beta", 0.1), hp.halfOpenFraction("label_smoothing", 0.1), FDivergence.read(hp), hp);
    }

    private RobustDpoLoss(double beta, double epsilon, FDivergence divergence, Hyperparameters hp) {
        super("robust", Reduction.SUM, beta, divergence, hp);
        this.epsilon = epsilon;
    }

    @Override
    protected NDArray term(NDArray z) {
        NDArray clean = times(logSigmoid(z), -(1 - epsilon));
        NDArray flipped = times(logSigmoid(z.neg()), epsilon);
        return times(clean.add(flipped), 1 / (1 - 2 * epsilon));
    }

    @Override
    protected NDArray slope(NDArray z) {
        return times(times(sigmoid(z.neg()), 1 - epsilon).add(times(sigmoid(z), epsilon)), 1 / (1 - 2 * epsilon));
    }
}
