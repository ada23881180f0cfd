package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.over;
import static io.github.dgpo.losses.StableMath.logSigmoid;
import static io.github.dgpo.losses.StableMath.sigmoid;

import ai.djl.ndarray.NDArray;

/**
 * DiscoPOP: Lu et al., 2024, "Discovering Preference Optimization Algorithms with and for Large
 * Language Models" (the log-ratio modulated loss, Eq. 5; TRL's {@code discopop}): a blend of the
 * logistic and the exponential loss, weighted by {@code m = σ(z/τ)}.
 *
 * <pre>
 *   z = β((a - a_ref) - (b - b_ref))
 *   L = -log σ(z)·(1 - m) + e^{-z}·m,   m = σ(z/τ)
 *   d_w = d_l = β(σ(-z)(1 - m) + e^{-z}m - (e^{-z} + log σ(z))·m(1-m)/τ)
 * </pre>
 *
 * {@code a}, {@code b}: policy sums; {@code a_ref}, {@code b_ref}: reference sums; τ: {@code
 * discopop_tau}. {@code e^{-z}·m} is computed as {@code exp(log σ(z/τ) - z)} (and {@code
 * e^{-z}m(1-m)} likewise), which stays finite for every {@code z} when τ &lt; 1; TRL's {@code
 * exp(-z)·σ(z/τ)} overflows to {@code inf·0 = NaN} below {@code z ≈ -88} (float32). For τ ≥ 1 the
 * loss itself grows like {@code e^{-z(1-1/τ)}} as {@code z → -∞}. Accepts {@code
 * f_divergence_type} like {@link DpoLoss}.
 *
 * <p>Defaults: {@code beta = 0.05} (the DiscoPOP authors' recipe, {@code
 * recipes/zephyr-7b-gemma/gpo/config_full.yaml}; TRL's default is 0.1), {@code discopop_tau =
 * 0.05} (the paper's and TRL's).
 */
public final class DiscoPopLoss extends ScoreDifferenceLoss {

    private final double tau;

    /**
     * Creates DiscoPOP.
     *
     * @param hp {@code beta}, {@code discopop_tau}, {@code f_divergence_type}, {@code
     *     f_alpha_divergence_coef}
     */
    public DiscoPopLoss(Hyperparameters hp) {
        this(hp.positive("beta", 0.05), hp.positive("discopop_tau", 0.05), FDivergence.read(hp), hp);
    }

    private DiscoPopLoss(double beta, double tau, FDivergence divergence, Hyperparameters hp) {
        super("discopop", Reduction.SUM, beta, divergence, hp);
        this.tau = tau;
    }

    @Override
    protected NDArray term(NDArray z) {
        NDArray zt = over(z, tau);
        NDArray logistic = logSigmoid(z).neg().mul(sigmoid(zt.neg()));
        NDArray exponential = logSigmoid(zt).sub(z).exp();
        return logistic.add(exponential);
    }

    @Override
    protected NDArray slope(NDArray z) {
        NDArray zt = over(z, tau);
        NDArray keep = sigmoid(zt.neg()); // 1 - m
        NDArray logM = logSigmoid(zt); // log m
        NDArray logMKeep = logM.add(logSigmoid(zt.neg())); // log m(1-m)
        NDArray expM = logM.sub(z).exp(); // e^{-z} m
        NDArray expMm = over(logMKeep.sub(z).exp(), tau); // e^{-z} m(1-m)/τ
        NDArray modulation = over(logMKeep.exp(), tau); // m(1-m)/τ
        // -L' = σ(-z)(1-m) + e^{-z}m - e^{-z}m'  - log σ(z)·m'
        return sigmoid(z.neg()).mul(keep).add(expM).sub(expMm).sub(logSigmoid(z).mul(modulation));
    }
}
