package io.github.dgpo.losses;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import io.github.dgpo.core.EngineManagerTest;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Loss values, {@code d_w} and {@code d_l} at points derived by hand (each test's javadoc
 * gives the derivation; {@code ln 2 = 0.6931471805599453}). Sums, counts and references are
 * given in the order {@code S_w, S_l, n_w, n_l, R_w, R_l}.
 */
class LossValuesTest extends EngineManagerTest {

    private static final double LN2 = Math.log(2);

    /** Evaluates one pair: {loss, d_w, d_l, z}. */
    private static double[] at(String loss, Map<String, ?> params, double sw, double sl, int nw, int nl, double rw, double rl) {
        Points p = new Points(
                new double[] {sw}, new double[] {sl}, new double[] {nw}, new double[] {nl},
                new double[] {rw}, new double[] {rl}, null, null);
        try (NDManager sub = manager.newSubManager()) {
            LossOutput out = PreferenceLosses.create(loss, params).compute(new PairLogps(
                    sub.create(p.sw), sub.create(p.sl), sub.create(p.nw), sub.create(p.nl),
                    sub.create(p.rw), sub.create(p.rl), null, null, null, null, null, null));
            return new double[] {out.perPair().getDouble(0), out.dW().getDouble(0), out.dL().getDouble(0), out.margins().getDouble(0)};
        }
    }

    private static void assertValues(double[] actual, double loss, double dW, double dL) {
        assertEquals(loss, actual[0], 1e-12, "loss");
        assertEquals(dW, actual[1], 1e-12, "d_w");
        assertEquals(dL, actual[2], 1e-12, "d_l");
    }

    /**
     * DPO, β = 0.01. (1) S = (-10, -20), R = (-12, -18): z = 0.01((-10+12) - (-20+18)) = 0.04,
     * L = ln(1 + e^-0.04) = 0.673347167228034, s = σ(-0.04) = 0.490001333120035, d = βs =
     * 0.004900013331200. (2) Policy equal to reference: z = 0, L = ln 2, d = β/2 = 0.005.
     */
    @Test
    void dpo() {
        assertValues(at("dpo", Map.of(), -10, -20, 3, 4, -12, -18), 0.673347167228034, 0.004900013331200346, 0.004900013331200346);
        assertValues(at("dpo", Map.of(), -7, -9, 3, 4, -7, -9), LN2, 0.005, 0.005);
    }

    /**
     * DPO with label smoothing ε = 0.1 at z = 0: L = -(0.9 + 0.1) ln σ(0) = ln 2 and d = β(0.9·½ -
     * 0.1·½) = 0.01·0.4 = 0.004.
     */
    @Test
    void dpoLabelSmoothing() {
        assertValues(at("dpo", Map.of("label_smoothing", 0.1), -7, -9, 3, 4, -7, -9), LN2, 0.004, 0.004);
    }

    /**
     * IPO, τ = 0.5 so 1/(2τ) = 1, on averages. (1) Policy = reference: z = 0, L = (0 - 1)² = 1,
     * d = -2(0 - 1) = 2 on the averages, so d_w = 2/n_w = 2/4 = 0.5 and d_l = 2/n_l = 2/8 =
     * 0.25 on the sums. (2) A = (-2, -3), A_ref = (-2.5, -2.8) with n = 10: z = 0.5 - (-0.2) =
     * 0.7, L = (-0.3)² = 0.09, d = 0.6/10 = 0.06.
     */
    @Test
    void ipo() {
        assertValues(at("ipo", Map.of(), -8, -16, 4, 8, -8, -16), 1, 0.5, 0.25);
        assertValues(at("ipo", Map.of(), -20, -30, 10, 10, -25, -28), 0.09, 0.06, 0.06);
    }

    /**
     * CPO, β = 0.01, α = 1. (1) S_w = S_l = -10, n_w = 5: z = 0, L = ln 2 - (-10/5) = ln 2 + 2,
     * d_w = β/2 + α/n_w = 0.005 + 0.2 = 0.205, d_l = 0.005. (2) S = (-10, -20), n_w = 5: z = 0.1,
     * L = ln(1 + e^-0.1) + 2 = 2.644396660073571, s = σ(-0.1) = 0.475020812521060, d_w =
     * 0.00475020812521060 + 0.2, d_l = 0.00475020812521060.
     */
    @Test
    void cpo() {
        assertValues(at("cpo", Map.of(), -10, -10, 5, 7, 0, 0), LN2 + 2, 0.205, 0.005);
        assertValues(at("cpo", Map.of(), -10, -20, 5, 7, 0, 0), 2.644396660073571, 0.2047502081252106, 0.0047502081252106);
    }

    /**
     * KTO, β = 0.01, λ_w = λ_l = 1. (1) z0 = 0 and policy = reference: u_w = u_l = 0, L = ½ + ½ =
     * 1, d = λβσ(0)(1 - σ(0)) = 0.01/4 = 0.0025. (2) z0 = 0.5, S = (-10, -20), R = (-12, -18): u_w
     * = 0.01(2 - 0.5) = 0.015, u_l = 0.01(0.5 + 2) = 0.025, L = (1 - σ(0.015)) + (1 - σ(0.025)) =
     * 0.496250070 + 0.493750326 = 0.990000396, d_w = 0.01σ(0.015)σ(-0.015) =
     * 0.002499859380273, d_l = 0.01σ(0.025)σ(-0.025) = 0.002499609415687.
     */
    @Test
    void kto() {
        assertValues(at("kto", Map.of("z0", 0), -7, -9, 3, 4, -7, -9), 1, 0.0025, 0.0025);
        assertValues(at("kto", Map.of("z0", 0.5), -10, -20, 3, 4, -12, -18), 0.9900003958114076, 0.002499859380273269, 0.0024996094156865016);
    }

    /**
     * RRHF, λ = 1, on averages. (1) A = (-1, -2), n = (2, 3): z = 1 > 0, L = 0 - (-1) = 1, d_w =
     * (0 + 1)/2 = 0.5, d_l = 0. (2) A = (-3, -1), n = (1, 1): z = -2, L = 2 + 3 = 5, d_w = 1 + 1 =
     * 2, d_l = 1.
     */
    @Test
    void rrhf() {
        assertValues(at("rrhf", Map.of(), -2, -6, 2, 3, 0, 0), 1, 0.5, 0);
        assertValues(at("rrhf", Map.of(), -3, -1, 1, 1, 0, 0), 5, 2, 1);
    }

    /**
     * SLiC-HF, δ = β = λ = 1. (1) S = (-10, -10.5), n_w = 4: z = 0.5 &lt; 1, L = 0.5 + 10/4 = 3,
     * d_w = 1 + 1/4 = 1.25, d_l = 1. (2) S = (-5, -20), n_w = 5: z = 15 ≥ 1, L = 0 + 1 = 1, d_w =
     * 1/5, d_l = 0.
     */
    @Test
    void slicHf() {
        assertValues(at("slic-hf", Map.of(), -10, -10.5, 4, 6, 0, 0), 3, 1.25, 1);
        assertValues(at("slic-hf", Map.of(), -5, -20, 5, 6, 0, 0), 1, 0.2, 0);
    }

    /**
     * ORPO, λ = 1, on averages. (1) A_w = A_l = -ln 2, so e^A = ½ and lo(A) = -ln 2 - ln ½ = 0: z
     * = 0, L = ln 2 + ln 2, d_w = 1 + ½/½ = 2 and d_l = 1 on the averages (n = 1). (2) A = (-0.5,
     * -1), n = 1: lo(-0.5) = -0.5 - ln(1 - e^-0.5) = 0.432752129, lo(-1) = -1 - ln(1 - e^-1) =
     * -0.541324855, z = 0.974076984, L = 0.5 + ln(1 + e^-z) = 0.820299785, s = 0.274150079, d_w =
     * 1 + s/(1 - e^-0.5) = 1.696543774, d_l = s/(1 - e^-1) = 0.433570171.
     */
    @Test
    void orpo() {
        assertValues(at("orpo", Map.of(), -LN2, -LN2, 1, 1, 0, 0), 2 * LN2, 2, 1);
        assertValues(at("orpo", Map.of(), -0.5, -1, 1, 1, 0, 0), 0.8202997852375364, 1.696543773553064, 0.4335701714386563);
    }

    /**
     * SimPO, β = 2.5, γ = 1, on averages. (1) A_w - A_l = 0.4: z = 1 - 1 = 0, L = ln 2, d = β/2 =
     * 1.25 on the averages, 1.25/2 on the sums with n = 2. (2) A = (-0.8, -1.6), n = 1: z = 2 - 1
     * = 1, L = ln(1 + e^-1) = 0.313261687518223, d = 2.5σ(-1) = 0.672353553424988.
     */
    @Test
    void simpo() {
        assertValues(at("simpo", Map.of(), -1.2, -2.0, 2, 2, 0, 0), LN2, 0.625, 0.625);
        assertValues(at("simpo", Map.of(), -0.8, -1.6, 1, 1, 0, 0), 0.31326168751822286, 0.6723535534249878, 0.6723535534249878);
    }

    /**
     * DGPO, β = 2.5, averages. (1) a = b = -1: z = 0, L = ln 2, s = ½, d_w = 2.5·½·(1·e^-1 + e^-1)
     * = 2.5e^-1 = 0.919698602928606 = d_l. (2) a = -0.5, b = -1: W = e^-0.5 + e^-1 = 0.974410101, z =
     * 2.5·W·0.5 = 1.218012626, L = ln(1 + e^-z) = 0.259141757, s = 0.228264, d_w = βs(1.5e^-0.5 +
     * e^-1) = 0.729189749, d_l = βs(W - 0.5e^-1) = 0.451134055; the paper's Eq. 13 ratio there is
     * (0.5e^-0.5 + e^-1)/(0·e^-1 + e^-0.5) = 1.106530660, while the exact ratio is 1.616328.
     */
    @Test
    void dgpo() {
        double e1 = Math.exp(-1);
        assertValues(at("dgpo", Map.of(), -3, -5, 3, 5, 0, 0), LN2, 2.5 * e1 / 3, 2.5 * e1 / 5);
        assertValues(at("dgpo", Map.of(), -0.5, -1, 1, 1, 0, 0), 0.2591417570447424, 0.7291897490116398, 0.45113405513079036);
        assertEquals(1.1065306597126334, DgpoLoss.paperRatio(-0.5, -1), 1e-12);
    }

    /**
     * CPO with β = 0.03, α = 0.6 (swapping them gives z = 6): S = (-10, -20), n_w = 5: z = 0.3, L =
     * ln(1 + e^-0.3) + 0.6·2 = 1.754355244468527, d_w = 0.03σ(-0.3) + 0.6/5 = 0.132766724495650,
     * d_l = 0.03σ(-0.3) = 0.012766724495650.
     */
    @Test
    void cpoWithDistinctHyperparameters() {
        assertValues(at("cpo", Map.of("beta", 0.03, "alpha", 0.6), -10, -20, 5, 7, 0, 0), 1.754355244468527, 0.13276672449565022, 0.012766724495650231);
    }

    /**
     * SLiC-HF with δ = 0.7, β = 1.3, λ = 0.45. (1) S = (-10, -10.3), n_w = 4: z = 1.3·0.3 = 0.39 &lt;
     * δ, L = 0.7 - 0.39 + 0.45·10/4 = 1.435, d_w = 1.3 + 0.45/4 = 1.4125, d_l = 1.3. (2) S = (-5,
     * -6), n_w = 5: z = 1.3 ≥ δ, L = 0.45·1 = 0.45, d_w = 0.45/5 = 0.09, d_l = 0.
     */
    @Test
    void slicHfWithDistinctHyperparameters() {
        Map<String, Double> hp = Map.of("delta", 0.7, "beta", 1.3, "lambda", 0.45);
        assertValues(at("slic-hf", hp, -10, -10.3, 4, 6, 0, 0), 1.435, 1.4125, 1.3);
        assertValues(at("slic-hf", hp, -5, -6, 5, 6, 0, 0), 0.45, 0.09, 0);
    }

    /**
     * RRHF with λ = 0.35. (1) A = (-3, -1), n = 1: z = -2, L = 2 + 0.35·3 = 3.05, d_w = 1 + 0.35,
     * d_l = 1. (2) A = (-1, -2), n = (2, 3): z = 1, L = 0.35, d_w = 0.35/2, d_l = 0.
     */
    @Test
    void rrhfWithDistinctHyperparameters() {
        assertValues(at("rrhf", Map.of("lambda", 0.35), -3, -1, 1, 1, 0, 0), 3.05, 1.35, 1);
        assertValues(at("rrhf", Map.of("lambda", 0.35), -2, -6, 2, 3, 0, 0), 0.35, 0.175, 0);
    }

    /**
     * KTO with β = 0.03, λ_w = 1.6, λ_l = 0.8, z0 = 0.5; S = (-10, -20), R = (-12, -18): u_w =
     * 0.03(2 - 0.5) = 0.045, u_l = 0.03(0.5 + 2) = 0.075, L = 1.6(1 - σ(0.045)) + 0.8(1 - σ(0.075))
     * = 1.167010064182204, d_w = 1.6·0.03·σ(0.045)σ(-0.045) = 0.011993927049724, d_l =
     * 0.8·0.03·σ(0.075)σ(-0.075) = 0.005991570403857.
     */
    @Test
    void ktoWithDistinctHyperparameters() {
        assertValues(at("kto", Map.of("beta", 0.03, "lambda_w", 1.6, "lambda_l", 0.8, "z0", 0.5), -10, -20, 3, 4, -12, -18),
                1.1670100641822043, 0.011993927049724469, 0.005991570403857459);
    }

    /** SFT: S_w = -6, n_w = 4: L = -A_w = 1.5, d_w = 1/n_w = 0.25, d_l = 0; the margin is A_w - A_l = -1.5 + 2. */
    @Test
    void sft() {
        double[] v = at("sft", Map.of(), -6, -10, 4, 5, 0, 0);
        assertValues(v, 1.5, 0.25, 0);
        assertEquals(0.5, v[3], 1e-15);
    }

    /**
     * The new losses with the policy equal to the reference (every log-ratio 0, so z = 0), β = 0.1:
     * hinge L = 1, d = β; robust (ε = 0.1) L = (0.9 + (-0.1))·ln 2/0.8 = ln 2, d = β(0.9 + 0.1)/2/0.8 =
     * 0.0625; exo-pair (ε = 1e-3) L = -ln 2 - ½ln(ε(1-ε)) = 2.761230709097915, d = (β/4)ln((1-ε)/ε) =
     * 0.172668869466214; nca-pair L = 2 ln 2, d_w = β(½ - ¼), d_l = β/4; bco-pair L = 2 ln 2, d = β/2;
     * sppo-hard L = 2·(1/(2β))² = 50, d_w = d_l = 1/β = 10; apo-zero L = 1, d = β/4; apo-down L = 1,
     * d_w = 0, d_l = β/4; discopop (β = τ = 0.05) L = (ln 2 + 1)/2, d = β(¾ - (1 - ln 2)/(4τ)) =
     * -0.039213204860014; sigmoid-norm (β = 5, n = 4) L = ln 2, d = (β/2)/n.
     */
    @Test
    void newLossesWithPolicyEqualToReference() {
        Map<String, Double> b = Map.of("beta", 0.1);
        assertValues(at("hinge", b, -7, -9, 3, 4, -7, -9), 1, 0.1, 0.1);
        assertValues(at("robust", b, -7, -9, 3, 4, -7, -9), LN2, 0.0625, 0.0625);
        assertValues(at("exo-pair", b, -7, -9, 3, 4, -7, -9), 2.761230709097915, 0.17266886946621385, 0.17266886946621385);
        assertValues(at("nca-pair", b, -7, -9, 3, 4, -7, -9), 2 * LN2, 0.025, 0.025);
        assertValues(at("bco-pair", b, -7, -9, 3, 4, -7, -9), 2 * LN2, 0.05, 0.05);
        assertValues(at("sppo-hard", b, -7, -9, 3, 4, -7, -9), 50, 10, 10);
        assertValues(at("apo-zero", b, -7, -9, 3, 4, -7, -9), 1, 0.025, 0.025);
        assertValues(at("apo-down", b, -7, -9, 3, 4, -7, -9), 1, 0, 0.025);
        assertValues(at("discopop", Map.of(), -7, -9, 3, 4, -7, -9), (LN2 + 1) / 2, -0.03921320486001367, -0.03921320486001367);
        assertValues(at("sigmoid-norm", Map.of(), -8, -12, 4, 4, -8, -12), LN2, 0.625, 0.625);
        assertValues(at("aot", b, -7, -9, 3, 4, -7, -9), LN2, 0.05, 0.05);
        assertValues(at("aot-unpaired", b, -7, -9, 3, 4, -7, -9), LN2, 0.05, 0.05);
    }

    /**
     * DPO's f-divergences, β = 0.1, r_l = 0. forward_kl with r_w = ln 2: g = 1 - e^-r = ½, z = 0.05, L =
     * ln(1 + e^-0.05) = 0.668459648013286, d_w = βσ(-z)·e^-r_w = 0.024375130175789, d_l = βσ(-z) =
     * 0.048750260351579. alpha_divergence (α = ½) with r_w = 2 ln 2: g = 2(1 - e^{-r/2}) = 1, z = 0.1,
     * L = 0.644396660073571, d_w = βσ(-z)·e^{-r_w/2} = 0.023751040626053, d_l = βσ(-z). js_divergence
     * with r = 0: g = ln 2 + ln σ(0) = 0, L = ln 2, d = β·½·σ(0) = 0.025.
     */
    @Test
    void dpoFDivergences() {
        double ln2 = Math.log(2);
        assertValues(at("dpo", Map.of("beta", 0.1, "f_divergence_type", "forward_kl"), ln2 - 10, -9, 3, 4, -10, -9),
                0.6684596480132863, 0.024375130175789482, 0.048750260351578964);
        assertValues(at("dpo", Map.of("beta", 0.1, "f_divergence_type", "alpha_divergence", "f_alpha_divergence_coef", 0.5),
                2 * ln2 - 10, -9, 3, 4, -10, -9), 0.6443966600735709, 0.023751040626053002, 0.047502081252106004);
        assertValues(at("dpo", Map.of("beta", 0.1, "f_divergence_type", "js_divergence"), -7, -9, 3, 4, -7, -9), LN2, 0.025, 0.025);
    }
}
