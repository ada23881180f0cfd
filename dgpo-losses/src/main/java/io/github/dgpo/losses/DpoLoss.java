package io.github.dgpo.losses;

import static io.github.dgpo.losses.StableMath.smoothedLogistic;
import static io.github.dgpo.losses.StableMath.smoothedLogisticSlope;

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
 * smoothing (conservative DPO). With {@code f_divergence_type} other than {@code reverse_kl}
 * (f-DPO, see {@link FDivergence}) the log-ratios {@code r = a - a_ref} are replaced by their
 * scores {@code g(r)}: {@code z = β(g(r_w) - g(r_l))}, {@code d_w = β((1-ε)s - ε(1-s))·g'(r_w)},
 * {@code d_l = β((1-ε)s - ε(1-s))·g'(r_l)}.
 *
 * <p>Defaults: {@code beta = 0.01} (DGPO paper Table 6), {@code label_smoothing = 0}, {@code
 * reference_free = false}, {@code f_divergence_type = reverse_kl} ({@code
 * f_alpha_divergence_coef = 0.5} with {@code alpha_divergence}). TRL's {@code sigmoid} loss type.
 * Differs from TRL: TRL's default β is 0.1, and TRL 1.13 has neither label smoothing in {@code
 * sigmoid} nor a {@code reference_free} flag. An f-divergence other than reverse KL needs a
 * reference (the scores of {@code e^r} are meaningless without one) and is refused with {@code
 * reference_free}.
 */
public final class DpoLoss extends ScoreDifferenceLoss {

    private final double epsilon;

    /**
     * Creates DPO.
     *
     * @param hp {@code beta}, {@code label_smoothing}, {@code reference_free}, {@code
     *     f_divergence_type}, {@code f_alpha_divergence_coef}
     */
    public DpoLoss(Hyperparameters hp) {
        this(hp.positive("beta", 0.01), hp.halfOpenFraction("label_smoothing", 0), hp.flag("reference_free", false), FDivergence.read(hp), hp);
    }

    private DpoLoss(double beta, double epsilon, boolean referenceFree, FDivergence divergence, Hyperparameters hp) {
        super("dpo", Reduction.SUM, beta, 0, withReference(divergence, referenceFree), !referenceFree, hp);
        this.epsilon = epsilon;
    }

    private static FDivergence withReference(FDivergence divergence, boolean referenceFree) {
        if (referenceFree && !divergence.isReverseKl()) {
            throw new IllegalArgumentException("f_divergence_type " + divergence + " needs a reference; it cannot be used with reference_free");
        }
        return divergence;
    }

    @Override
    protected NDArray term(NDArray z) {
        return smoothedLogistic(z, epsilon);
    }

    @Override
    protected NDArray slope(NDArray z) {
        return smoothedLogisticSlope(z, epsilon);
    }
}
