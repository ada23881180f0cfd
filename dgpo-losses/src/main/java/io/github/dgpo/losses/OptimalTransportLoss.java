package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.times;
import static io.github.dgpo.losses.StableMath.smoothedLogistic;
import static io.github.dgpo.losses.StableMath.smoothedLogisticSlope;

import ai.djl.ndarray.NDArray;

/**
 * AOT: Melnyk et al., 2024, "Distributional Preference Alignment of LLMs via Optimal Transport":
 * first-order stochastic dominance of one distribution of log-ratios over another, made a loss by
 * pairing the two batches' values by rank (the one-dimensional optimal transport plan: sort both)
 * and applying the label-smoothed logistic loss to each quantile pair.
 *
 * <pre>
 *   z_(k) = β(x_(k) - y_(k))            x_(k), y_(k): k-th smallest in the batch
 *   L = (1/B) Σ_k ℓ(z_(k)),  ℓ(z) = -(1-ε) log σ(z) - ε log σ(-z)
 * </pre>
 *
 * A pair's loss depends on the whole batch through the sorting, so there is no per-pair closed
 * form; the batch closed form goes through the sorting permutation (the sort is piecewise linear,
 * its derivative the permutation): {@code -B·∂L/∂x_j = β((1-ε)σ(-z) - εσ(z))} at {@code z} of
 * {@code x_j}'s rank. The losses are {@link #batchDependent() batch-dependent}, and {@code
 * perPair}, {@code margins} and the metrics attribute quantile {@code k} to the pair whose {@code
 * x} has rank {@code k} (the mean is the batch loss). Ties are broken by the sort's order; the
 * loss value does not depend on it. {@code d_w} is that derivative at the chosen value's own
 * quantile pair for both forms; a subclass states {@code x}, {@code y} (its {@link #margin}) and
 * {@code d_l}.
 *
 * <p>Both forms take TRL's defaults: {@code beta = 0.1}, {@code label_smoothing = 0}.
 */
public abstract class OptimalTransportLoss extends MarginLoss {

    private final double beta;
    private final double epsilon;

    /** Reads {@code beta} and {@code label_smoothing}. */
    OptimalTransportLoss(String name, Hyperparameters hp) {
        this(name, hp.positive("beta", 0.1), hp.halfOpenFraction("label_smoothing", 0), hp);
    }

    private OptimalTransportLoss(String name, double beta, double epsilon, Hyperparameters hp) {
        super(name, Reduction.SUM, hp);
        this.beta = beta;
        this.epsilon = epsilon;
    }

    @Override
    public final boolean requiresReference() {
        return true;
    }

    /** The sort couples every pair of the batch. */
    @Override
    public final boolean batchDependent() {
        return true;
    }

    /**
     * {@code z_j = β(x_j - y_(rank of x_j))}: the quantile pair attributed to pair {@code j}.
     *
     * @param x the values whose ranks attribute the quantiles (attached)
     * @param y the values they are compared with (attached)
     * @return the margins
     */
    protected final NDArray quantileMargin(NDArray x, NDArray y) {
        return times(x.sub(sortedAt(y, ranks(x))), beta);
    }

    @Override
    protected final NDArray marginTerm(NDArray z, Pair p) {
        return smoothedLogistic(z, epsilon);
    }

    /** At the chosen value's own quantile pair: {@code slope(z)}. */
    @Override
    protected final NDArray marginDw(NDArray z, Pair p) {
        return slope(z);
    }

    /**
     * {@code β((1-ε)σ(-z) - εσ(z))}: {@code -B} times the derivative of the batch loss in the
     * value whose quantile pair has margin {@code z}.
     *
     * @param z the quantile pair's margin
     * @return the gradient
     */
    protected final NDArray slope(NDArray z) {
        return times(smoothedLogisticSlope(z, epsilon), beta);
    }

    @Override
    protected final double rewardScale() {
        return beta;
    }

    /** The 0-based rank of each value in the batch (no gradient). */
    private static NDArray ranks(NDArray x) {
        return x.stopGradient().argSort().argSort();
    }

    /** The values sorted ascending, taken at the given ranks; attached to the values' graph. */
    private static NDArray sortedAt(NDArray values, NDArray ranks) {
        return values.gather(values.stopGradient().argSort(), 0).gather(ranks, 0);
    }
}
