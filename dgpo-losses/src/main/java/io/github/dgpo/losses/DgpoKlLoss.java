package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.times;
import static io.github.dgpo.losses.MarginLoss.mean;
import static io.github.dgpo.losses.StableMath.logAddExp;
import static io.github.dgpo.losses.StableMath.logSigmoid;
import static io.github.dgpo.losses.StableMath.sigmoid;

import ai.djl.ndarray.NDArray;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * DGPO's exact divergence-gap objective ("DGPO: Mitigating Likelihood Displacement with
 * Bidirectional KL Divergence Gap", Eq. 8-10, and Eq. 11's adaptive weight as an option).
 *
 * <pre>
 *   θ_w = Σ_i KL(π(·|x, y_w&lt;i) ‖ π(·|x, y_l&lt;i))      (forward, pushed up)
 *   θ_l = Σ_i KL(π(·|x, y_l&lt;i) ‖ π(·|x, y_w&lt;i))      (reverse, pushed down)
 *   z = βW(θ_w - θ_l)   (kl_terms: both),   βWθ_w (forward),   -βWθ_l (reverse)
 *   L = -log σ(z)
 * </pre>
 *
 * {@code i} runs over the aligned completion positions, below the shorter completion's length;
 * each KL is over the full vocabulary of the policy's next-token distributions after the two
 * completions' prefixes. {@code W = e^a + e^b} with {@code a}, {@code b} the per-token average
 * log-probabilities when {@code adaptive_weight} is on (Eq. 11, differentiated through, as DGPO
 * does), else 1. {@code kl_terms: forward | reverse} keeps one strategy only (the paper's Table 5
 * ablation).
 *
 * <p>What the paper's derivation drops: Eq. 10 turns the divergence gap into {@code β(log π_w -
 * log π_l)}, which the {@code dgpo} loss trains; this loss trains the gap itself, which depends
 * on the whole next-token distributions at each aligned position rather than only on the two
 * sampled tokens, and ignores positions past the shorter completion. {@code d_w} and {@code d_l}
 * (with respect to the sums) are therefore 0 without the adaptive weight, which is the only way
 * the sums enter; the gradients with respect to {@code θ_w}, {@code θ_l} are reported as {@code
 * dgpo-kl/d_forward = -∂L/∂θ_w} and {@code dgpo-kl/d_reverse = ∂L/∂θ_l}. No reference.
 *
 * <p>Defaults: {@code beta = 2.5} (DGPO's), {@code kl_terms = both}, {@code adaptive_weight =
 * false}. Not in TRL.
 */
public final class DgpoKlLoss implements PreferenceLoss {

    private final double beta;
    private final String terms;
    private final boolean adaptive;
    private final Map<String, Object> hyperparameters;

    /**
     * Creates the loss.
     *
     * @param hp {@code beta}, {@code kl_terms}, {@code adaptive_weight}
     */
    public DgpoKlLoss(Hyperparameters hp) {
        this.beta = hp.positive("beta", 2.5);
        this.terms = hp.choice("kl_terms", "both", List.of("both", "forward", "reverse"));
        this.adaptive = hp.flag("adaptive_weight", false);
        this.hyperparameters = hp.effective();
    }

    @Override
    public String name() {
        return "dgpo-kl";
    }

    @Override
    public Reduction reduction() {
        return Reduction.AVERAGE;
    }

    @Override
    public boolean requiresReference() {
        return false;
    }

    @Override
    public Set<LossInput> inputs() {
        return EnumSet.of(LossInput.ALIGNED_KL);
    }

    @Override
    public Map<String, Object> hyperparameters() {
        return hyperparameters;
    }

    @Override
    public LossOutput compute(PairLogps logps) {
        if (logps.klForward() == null || logps.klReverse() == null) {
            throw new IllegalArgumentException("loss 'dgpo-kl' needs the aligned-position divergences (LossInput.ALIGNED_KL)");
        }
        Pair p = Pair.of(logps, Reduction.AVERAGE, false);
        NDArray fwd = logps.klForward();
        NDArray rev = logps.klReverse();
        NDArray gap = switch (terms) {
            case "forward" -> fwd;
            case "reverse" -> rev.neg();
            default -> fwd.sub(rev);
        };
        NDArray weight = adaptive ? logAddExp(p.a(), p.b()).exp() : gap.onesLike().stopGradient();
        NDArray z = times(weight.mul(gap), beta);
        NDArray perPair = logSigmoid(z).neg();

        Pair d = p.detached();
        NDArray zd = z.stopGradient();
        NDArray gd = gap.stopGradient();
        NDArray s = sigmoid(zd.neg());
        // d_w = -∂L/∂S_w = σ(-z)·β(gap)·e^a/n_w through W only; d_l = ∂L/∂S_l = -σ(-z)·β(gap)·e^b/n_l
        NDArray dW = adaptive ? times(s.mul(gd).mul(d.a().exp()).div(d.chosenTokens()), beta) : zd.zerosLike();
        NDArray dL = adaptive ? times(s.mul(gd).mul(d.b().exp()).div(d.rejectedTokens()), -beta) : zd.zerosLike();
        NDArray w = weight.stopGradient();
        NDArray dTerm = times(s.mul(w), beta);
        NDArray dForward = terms.equals("reverse") ? zd.zerosLike() : dTerm;
        NDArray dReverse = terms.equals("forward") ? zd.zerosLike() : dTerm;
        double meanForward = mean(fwd.stopGradient());
        double meanReverse = mean(rev.stopGradient());

        Map<String, Double> metrics = new LinkedHashMap<>();
        MarginLoss.putPairMetrics(metrics, perPair, logps, d, beta * meanForward, beta * meanReverse, zd);
        MarginLoss.putGradientMeans(metrics, dW, dL);
        metrics.put("dgpo-kl/forward", meanForward);
        metrics.put("dgpo-kl/reverse", meanReverse);
        metrics.put("dgpo-kl/d_forward", mean(dForward));
        metrics.put("dgpo-kl/d_reverse", mean(dReverse));
        return new LossOutput(perPair, perPair.mean(), zd, dW, dL, metrics);
    }

    @Override
    public String toString() {
        return name() + hyperparameters;
    }
}
