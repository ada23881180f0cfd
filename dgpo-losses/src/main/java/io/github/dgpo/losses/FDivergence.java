package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.atMost;
import static io.github.dgpo.core.Scalars.over;
import static io.github.dgpo.core.Scalars.times;
import static io.github.dgpo.losses.StableMath.indicator;
import static io.github.dgpo.losses.StableMath.logSigmoid;
import static io.github.dgpo.losses.StableMath.sigmoid;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * The f-divergence regulariser of f-DPO (Wang et al., 2024, "Beyond Reverse KL: Generalizing
 * Direct Preference Optimization with Diverse Divergence Constraints"): a loss built on the
 * chosen-rejected reward difference compares the scores {@code g(r) = f'(e^r)} of the log-ratios
 * {@code r = log π - log π_ref} instead of {@code r} itself (TRL's {@code f_divergence_type}).
 *
 * <pre>
 *   reverse_kl        g(r) = r                                  g'(r) = 1
 *   forward_kl        g(r) = 1 - e^{min(-r, 80)}                g'(r) = e^{-r} [-r &lt; 80]
 *   js_divergence     g(r) = log 2 + log σ(r)                   g'(r) = σ(-r)
 *   alpha_divergence  g(r) = (e^{min((α-1)r, 80)} - 1)/(α - 1)   g'(r) = e^{(α-1)r} [(α-1)r &lt; 80]
 * </pre>
 *
 * α: {@code f_alpha_divergence_coef} (default 0.5), read only with {@code alpha_divergence}; within
 * 1e-6 of 1 it is the {@code reverse_kl} limit, as in TRL. The clamp at 80 is TRL's (float32) for
 * the α-divergence; {@code forward_kl} is the α = 0 case, and dgpo clamps it the same way so that
 * very negative log-ratios give finite values (TRL's {@code forward_kl} has no clamp: it differs
 * only where {@code -r > 80}, and overflows float32 past 88.7). Past the clamp the score is
 * constant and its gradient 0.
 */
final class FDivergence {

    /** The valid {@code f_divergence_type} values. */
    static final List<String> TYPES = List.of("reverse_kl", "forward_kl", "js_divergence", "alpha_divergence");

    /** The identity score {@code g(r) = r} (plain DPO, and every reference-free loss). */
    static final FDivergence REVERSE_KL = new FDivergence("reverse_kl", 0);

    private static final double CLAMP = 80;
    private static final double LN2 = Math.log(2);

    private final String type;
    /** {@code α - 1} of the exponential scores ({@code -1} for forward KL); unused otherwise. */
    private final double exponent;

    private FDivergence(String type, double exponent) {
        this.type = type;
        this.exponent = exponent;
    }

    /**
     * Reads {@code f_divergence_type} (default {@code reverse_kl}) and, for {@code
     * alpha_divergence} only, {@code f_alpha_divergence_coef} (default 0.5).
     *
     * @param hp the hyperparameters
     * @return the divergence
     * @throws IllegalArgumentException for an unknown type, or a coefficient given with another type
     */
    static FDivergence read(Hyperparameters hp) {
        String type = hp.choice("f_divergence_type", "reverse_kl", TYPES);
        if (!type.equals("alpha_divergence")) {
            if (hp.isGiven("f_alpha_divergence_coef")) {
                throw new IllegalArgumentException(
                        "f_alpha_divergence_coef is used only with f_divergence_type = alpha_divergence, not " + type);
            }
            return type.equals("reverse_kl") ? REVERSE_KL : new FDivergence(type, type.equals("forward_kl") ? -1 : 0);
        }
        double alpha = hp.finite("f_alpha_divergence_coef", 0.5);
        if (Math.abs(alpha - 1) < 1e-6) {
            return REVERSE_KL;
        }
        return new FDivergence(type, alpha - 1);
    }

    /**
     * Returns whether the scores are the log-ratios themselves.
     *
     * @return true for reverse KL (plain DPO)
     */
    boolean isReverseKl() {
        return type.equals("reverse_kl");
    }

    /**
     * The score {@code g(r)}, attached to the graph of {@code r}.
     *
     * @param r log-ratios of sums
     * @return {@code g(r)}
     */
    NDArray score(NDArray r) {
        return switch (type) {
            case "reverse_kl" -> r;
            case "js_divergence" -> logSigmoid(r).add(LN2);
            // forward_kl: (e^{-r} - 1)/(-1) = 1 - e^{-r}
            default -> over(atMost(times(r, exponent), CLAMP).exp().sub(1), exponent);
        };
    }

    /**
     * The derivative {@code g'(r)} (detached input).
     *
     * @param r log-ratios of sums
     * @return {@code g'(r)}
     */
    NDArray slope(NDArray r) {
        return switch (type) {
            case "reverse_kl" -> r.onesLike();
            case "js_divergence" -> sigmoid(r.neg());
            default -> {
                NDArray t = times(r, exponent);
                yield atMost(t, CLAMP).exp().mul(indicator(t.lt(CLAMP), t));
            }
        };
    }

    /**
     * The name and, for the α-divergence, its coefficient.
     *
     * @return e.g. {@code alpha_divergence(α=0.5)}
     */
    @Override
    public String toString() {
        return type.equals("alpha_divergence") ? type + "(α=" + (exponent + 1) + ")" : type;
    }
}
