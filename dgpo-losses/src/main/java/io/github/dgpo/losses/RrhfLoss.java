package io.github.dgpo.losses;

/**
 * RRHF: Yuan et al., 2023, "RRHF: Rank Responses to Align Language Models with Human Feedback
 * without tears" (the two-response case).
 *
 * <pre>
 *   z = A_w - A_l
 *   L = max(0, -z) - λ·A_w
 *   d_w = [z &lt; 0] + λ,  d_l = [z &lt; 0]     (on the averages; divided by n on the sums)
 * </pre>
 *
 * {@code A_w}, {@code A_l}: per-token averages of the chosen and rejected completions; λ: NLL
 * weight. No reference. At the kink {@code z = 0} the gradient taken is 0.
 *
 * <p>Defaults: {@code lambda = 1} (DGPO paper Table 6). TRL has no RRHF trainer.
 */
public final class RrhfLoss extends HingeMarginLoss {

    private final double lambda;

    /**
     * Creates RRHF.
     *
     * @param hp {@code lambda}
     */
    public RrhfLoss(Hyperparameters hp) {
        this(hp.nonNegative("lambda", 1), hp);
    }

    private RrhfLoss(double lambda, Hyperparameters hp) {
        super("rrhf", Reduction.AVERAGE, 1, 0, hp);
        this.lambda = lambda;
    }

    @Override
    protected double nllWeight() {
        return lambda;
    }
}
