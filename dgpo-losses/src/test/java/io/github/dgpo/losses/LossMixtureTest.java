package io.github.dgpo.losses;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dgpo.core.EngineManagerTest;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Loss mixtures (RPO, MPO) and WPO weighting, as the factory builds them. */
class LossMixtureTest extends EngineManagerTest {

    private static LossOutput run(PreferenceLoss loss, Points p) {
        return loss.compute(p.toLogps(manager, null, null));
    }

    /** MPO per pair is 0.8·DPO + 0.2·BCO + SFT in loss, d_w and d_l; metrics per term and in total. */
    @Test
    void mpoIsTheWeightedSumOfItsTerms() {
        Points p = Points.random(new Random(21), 32);
        Map<String, Double> hp = Map.of("beta", 0.05);
        PreferenceLoss mpo = PreferenceLosses.create(List.of("dpo", "bco-pair", "sft"), List.of(0.8, 0.2, 1.0), hp);
        assertInstanceOf(LossMixture.class, mpo);
        assertEquals("dpo+bco-pair+sft", mpo.name());
        LossOutput out = run(mpo, p);
        LossOutput dpo = run(PreferenceLosses.create("dpo", hp), p);
        LossOutput bco = run(PreferenceLosses.create("bco-pair", hp), p);
        LossOutput sft = run(PreferenceLosses.create("sft"), p);
        for (int k = 0; k < 3; k++) {
            double[] mixed = pick(out, k);
            double[] a = pick(dpo, k);
            double[] b = pick(bco, k);
            double[] c = pick(sft, k);
            for (int i = 0; i < p.size(); i++) {
                assertEquals(0.8 * a[i] + 0.2 * b[i] + c[i], mixed[i], 1e-12 * Math.max(1, Math.abs(mixed[i])));
            }
        }
        Map<String, Double> m = out.metrics();
        assertEquals(dpo.metrics().get("loss"), m.get("loss/dpo"), 1e-15);
        assertEquals(bco.metrics().get("loss"), m.get("loss/bco-pair"), 1e-15);
        assertEquals(sft.metrics().get("loss"), m.get("loss/sft"), 1e-15);
        assertEquals(0.8 * m.get("loss/dpo") + 0.2 * m.get("loss/bco-pair") + m.get("loss/sft"), m.get("loss"), 1e-12);
        assertEquals(out.loss().getDouble(), m.get("loss"), 1e-12);
        assertEquals(dpo.metrics().get("rewards/margins"), m.get("rewards/margins"), 0.0, "the first term's margins");
        assertEquals(Arrays.stream(out.dW().toDoubleArray()).average().orElseThrow(), m.get("d_w"), 1e-15);
        assertEquals(0.05, mpo.hyperparameters().get("beta"));
        assertEquals(EnumSet.of(LossInput.REFERENCE), mpo.inputs());
        assertTrue(mpo.requiresReference());
        assertFalse(mpo.batchDependent());
    }

    /** RPO with default weights; one name with weight 1 is the loss itself, with another weight a scaled loss. */
    @Test
    void weightsDefaultToOne() {
        Points p = Points.random(new Random(22), 8);
        LossOutput rpo = run(PreferenceLosses.create(List.of("dpo", "sft"), null, Map.of()), p);
        LossOutput dpo = run(PreferenceLosses.create("dpo"), p);
        LossOutput sft = run(PreferenceLosses.create("sft"), p);
        assertEquals(dpo.loss().getDouble() + sft.loss().getDouble(), rpo.loss().getDouble(), 1e-12);
        assertInstanceOf(DpoLoss.class, PreferenceLosses.create(List.of("dpo"), List.of(1.0), Map.of()));
        PreferenceLoss half = PreferenceLosses.create(List.of("dpo"), List.of(0.5), Map.of());
        assertEquals(0.5 * dpo.loss().getDouble(), run(half, p).loss().getDouble(), 1e-15);
    }

    /** The union of the terms' needs: KTO's mismatched pairs and batch statistic, its sums-only form. */
    @Test
    void capabilitiesAreTheUnionOfTheTerms() {
        PreferenceLoss mix = PreferenceLosses.create(List.of("sft", "kto"), null, Map.of());
        assertEquals(EnumSet.of(LossInput.REFERENCE, LossInput.MISMATCHED_PAIRS), mix.inputs());
        assertTrue(mix.batchDependent());
        assertTrue(mix.unpaired().isEmpty());
        PreferenceLoss sums = mix.fromSumsOnly();
        assertEquals(0.0, ((LossMixture) sums).terms().get(1).hyperparameters().get("z0"));
        assertFalse(sums.batchDependent());
        PreferenceLoss plain = PreferenceLosses.create(List.of("dpo", "sft"), null, Map.of());
        assertSame(plain, plain.fromSumsOnly());
        assertTrue(PreferenceLosses.create(List.of("aot", "sft"), null, Map.of()).batchDependent());
    }

    @Test
    void badMixturesAreClearErrors() {
        assertMessage("loss_weights has 2 values for 3 loss types [dpo, bco-pair, sft]; give one weight per loss",
                List.of("dpo", "bco-pair", "sft"), List.of(0.8, 0.2), Map.of("beta", 0.1));
        assertMessage("loss_type lists a loss twice: [dpo, sft, dpo]", List.of("dpo", "sft", "dpo"), null, Map.of());
        assertMessage("loss_weights[1] (for 'sft') must be a finite number >= 0, got -1.0", List.of("dpo", "sft"), List.of(1.0, -1.0), Map.of());
        assertMessage("unknown hyperparameter tau for losses dpo, sft; valid: beta, label_smoothing, reference_free, f_divergence_type",
                List.of("dpo", "sft"), null, Map.of("tau", 0.5));
        assertMessage("hyperparameter beta is shared by the losses of the mixture but their defaults differ (dpo 0.01, bco-pair 0.1);"
                + " give it explicitly", List.of("dpo", "bco-pair", "sft"), List.of(0.8, 0.2, 1.0), Map.of());
        assertMessage("loss 'exo-pair': label_smoothing must be in (0, 1), got 0.0", List.of("dpo", "exo-pair"), null, Map.of("label_smoothing", 0));
        assertMessage("unknown loss 'dop'; valid: " + String.join(", ", PreferenceLosses.names()), List.of("sft", "dop"), null, Map.of());
    }

    /** A shared name given once reaches every term that reads it (TRL's single β). */
    @Test
    void givenHyperparametersAreShared() {
        LossMixture mix = (LossMixture) PreferenceLosses.create(List.of("dpo", "hinge"), null, Map.of("beta", 0.3));
        for (PreferenceLoss term : mix.terms()) {
            assertEquals(0.3, term.hyperparameters().get("beta"), term.name());
        }
    }

    /**
     * WPO: one pair with n = (2, 4) and alignment sums (-1, -2) has weight e^{-1/2 - 2/4} = e^-1;
     * the weighted loss, d_w and d_l are e^-1 times DPO's.
     */
    @Test
    void wpoWeightsEachPair() {
        Points p = new Points(new double[] {-3}, new double[] {-9}, new double[] {2}, new double[] {4}, new double[] {-4}, new double[] {-7},
                null, null, new double[] {-1}, new double[] {-2});
        PreferenceLoss wpo = PreferenceLosses.create("dpo", Map.of("beta", 0.1, "use_weighting", "true"));
        assertInstanceOf(WpoWeightedLoss.class, wpo);
        assertEquals("dpo", wpo.name());
        assertEquals(true, wpo.hyperparameters().get("use_weighting"));
        assertEquals(EnumSet.of(LossInput.REFERENCE, LossInput.TOKEN_ALIGNMENT), wpo.inputs());
        LossOutput weighted = run(wpo, p);
        LossOutput plain = run(PreferenceLosses.create("dpo", Map.of("beta", 0.1)), p);
        double w = Math.exp(-1);
        assertEquals(w, weighted.metrics().get("wpo/weight"), 1e-15);
        assertEquals(w * plain.perPair().getDouble(0), weighted.perPair().getDouble(0), 1e-15);
        assertEquals(w * plain.dW().getDouble(0), weighted.dW().getDouble(0), 1e-15);
        assertEquals(w * plain.dL().getDouble(0), weighted.dL().getDouble(0), 1e-15);
        assertEquals(w * plain.perPair().getDouble(0), weighted.metrics().get("loss"), 1e-15);
        assertSame(PreferenceLosses.create("dpo", Map.of("use_weighting", false)).getClass(), DpoLoss.class);
    }

    @Test
    void wpoErrors() {
        PairLogps noAlignment = PairLogps.of(manager.create(new double[] {-1}), manager.create(new double[] {-2}), manager.create(new double[] {1}),
                manager.create(new double[] {1})).withReference(manager.create(new double[] {-1}), manager.create(new double[] {-2}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PreferenceLosses.create("dpo", Map.of("use_weighting", true)).compute(noAlignment));
        assertEquals("use_weighting (WPO) needs the token-alignment sums of both completions (LossInput.TOKEN_ALIGNMENT: chosenAlignment,"
                + " rejectedAlignment)", e.getMessage());
        assertEquals("use_weighting cannot weight 'aot': it sorts within the batch, which would misalign the per-pair weights",
                assertThrows(IllegalArgumentException.class, () -> PreferenceLosses.create("aot", Map.of("use_weighting", true))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> PreferenceLosses.create(List.of("dpo", "aot-unpaired"), null, Map.of("use_weighting", true, "beta", 0.1)));
        assertEquals("use_weighting must be true or false, got 'yes'",
                assertThrows(IllegalArgumentException.class, () -> PreferenceLosses.create("dpo", Map.of("use_weighting", "yes"))).getMessage());
    }

    private static double[] pick(LossOutput out, int k) {
        return (k == 0 ? out.perPair() : k == 1 ? out.dW() : out.dL()).toDoubleArray();
    }

    private static void assertMessage(String expected, List<String> names, List<Double> weights, Map<String, ?> hp) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, () -> PreferenceLosses.create(names, weights, hp)).getMessage());
    }
}
