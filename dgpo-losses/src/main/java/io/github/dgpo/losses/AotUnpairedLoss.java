package io.github.dgpo.losses;

import ai.djl.ndarray.NDArray;

/**
 * AOT for unpaired preferences (Melnyk et al., 2024; TRL 1.13's {@code aot_unpaired}, the same code
 * older TRL called {@code aot_pair} and documented as the AOT loss for unpaired datasets): the chosen log-ratios {@code u = a - a_ref} should
 * dominate the rejected ones {@code v = b - b_ref} in distribution, each sorted on its own, so a
 * chosen completion is compared with the rejected one of the same rank, not with its own pair's.
 * See {@link OptimalTransportLoss} for the sorted form.
 *
 * <pre>
 *   z_j = β(u_j - v_(rank of u_j))
 *   L = (1/B) Σ_j (-(1-ε) log σ(z_j) - ε log σ(-z_j))
 *   d_w,j = β((1-ε)σ(-z_j) - εσ(z_j))                 (= -B·∂L/∂S_w,j)
 *   d_l,j = β((1-ε)σ(-z'_j) - εσ(z'_j)),  z'_j = β(u_(rank of v_j) - v_j)   (= B·∂L/∂S_l,j)
 * </pre>
 *
 * {@code a}, {@code b}: policy sums; {@code a_ref}, {@code b_ref}: reference sums; ε: label
 * smoothing. The data still come as pairs (TRL's batches do too); only the loss ignores the
 * pairing. No f-divergence, no WPO weighting (TRL refuses both).
 *
 * <p>Defaults: {@code beta = 0.1} (TRL's), {@code label_smoothing = 0}.
 */
public final class AotUnpairedLoss extends OptimalTransportLoss {

    /**
     * Creates unpaired AOT.
     *
     * @param hp {@code beta}, {@code label_smoothing}
     */
    public AotUnpairedLoss(Hyperparameters hp) {
        super("aot-unpaired", hp);
    }

    @Override
    protected NDArray margin(Pair p) {
        return quantileMargin(p.a().sub(p.aRef()), p.b().sub(p.bRef()));
    }

    /** At the quantile pair of {@code v_j}'s rank. */
    @Override
    protected NDArray marginDl(NDArray z, Pair p) {
        // z'_j = β(u_(rank of v_j) - v_j) = -β(v_j - u_(rank of v_j))
        return slope(quantileMargin(p.b().sub(p.bRef()), p.a().sub(p.aRef())).neg());
    }
}
