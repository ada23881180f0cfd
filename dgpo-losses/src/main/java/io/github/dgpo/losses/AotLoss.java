package io.github.dgpo.losses;

import ai.djl.ndarray.NDArray;

/**
 * AOT on paired data (Melnyk et al., 2024; TRL's {@code aot}): the policy's chosen-minus-rejected
 * log-ratio {@code x = a - b} should dominate the reference's {@code y = a_ref - b_ref} in
 * distribution. See {@link OptimalTransportLoss} for the sorted form.
 *
 * <pre>
 *   z_j = β(x_j - y_(rank of x_j))
 *   L = (1/B) Σ_j (-(1-ε) log σ(z_j) - ε log σ(-z_j))
 *   d_w,j = d_l,j = β((1-ε)σ(-z_j) - εσ(z_j))      (= -B·∂L/∂S_w,j = B·∂L/∂S_l,j)
 * </pre>
 *
 * {@code a}, {@code b}: policy sums; {@code a_ref}, {@code b_ref}: reference sums; ε: label
 * smoothing. No f-divergence (TRL refuses one), no WPO weighting (the sort would misalign the
 * weights; TRL refuses it too).
 *
 * <p>Defaults: {@code beta = 0.1} (TRL's), {@code label_smoothing = 0}.
 */
public final class AotLoss extends OptimalTransportLoss {

    /**
     * Creates paired AOT.
     *
     * @param hp {@code beta}, {@code label_smoothing}
     */
    public AotLoss(Hyperparameters hp) {
        super("aot", hp);
    }

    @Override
    protected NDArray margin(Pair p) {
        return quantileMargin(p.a().sub(p.b()), p.aRef().sub(p.bRef()));
    }

    /** {@code x_j = a_j - b_j}: the rejected value moves {@code x_j} too, at the same quantile pair. */
    @Override
    protected NDArray marginDl(NDArray z, Pair p) {
        return slope(z);
    }
}
