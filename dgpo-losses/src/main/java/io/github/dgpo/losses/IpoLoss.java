package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.times;
import ai.djl.ndarray.NDArray;

/**
 * IPO: Azar et al., 2024, "A General Theoretical Paradigm to Understand Learning from Human
 * Preferences".
 *
 * <pre>
 *   z = (a - a_ref) - (b - b_ref)
 *   L = (z - 1/(2τ))²
 *   d_w = d_l = -2(z - 1/(2τ))
 * </pre>
 *
 * {@code a}, {@code b}: per-token averages of the policy's chosen and rejected completions;
 * {@code a_ref}, {@code b_ref}: the reference's. τ: regularisation strength.
 *
 * <p>Defaults: {@code tau = 0.5} (DGPO paper Table 6). As in TRL, on per-token averages (TRL
 * calls τ {@code beta}).
 */
public final class IpoLoss extends MarginLoss {

    private final double target;

    /**
     * Creates IPO.
     *
     * @param hp {@code tau}
     */
    public IpoLoss(Hyperparameters hp) {
        this(hp.positive("tau", 0.5), hp);
    }

    private IpoLoss(double tau, Hyperparameters hp) {
        super("ipo", Reduction.AVERAGE, hp);
        this.target = 1 / (2 * tau);
    }

    @Override
    public boolean requiresReference() {
        return true;
    }

    @Override
    protected NDArray margin(Pair p) {
        return p.a().sub(p.aRef()).sub(p.b().sub(p.bRef()));
    }

    @Override
    protected NDArray marginTerm(NDArray z, Pair p) {
        return z.sub(target).square();
    }

    @Override
    protected NDArray marginDw(NDArray z, Pair p) {
        return times(z.sub(target), -2);
    }

    @Override
    protected NDArray marginDl(NDArray z, Pair p) {
        return marginDw(z, p);
    }
}
