package io.github.dgpo.losses;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Names, defaults and error messages of {@link PreferenceLosses}. */
class LossFactoryTest {

    @Test
    void allNamesCreateLossesWithTheirNames() {
        assertEquals(List.of("dgpo", "dpo", "ipo", "cpo", "kto", "rrhf", "slic-hf", "orpo", "simpo", "sft", "hinge", "robust", "exo-pair",
                "nca-pair", "bco-pair", "sppo-hard", "apo-zero", "apo-down", "discopop", "sigmoid-norm", "aot", "aot-unpaired"),
                List.copyOf(PreferenceLosses.names()));
        for (String name : PreferenceLosses.names()) {
            assertEquals(name, PreferenceLosses.create(name).name());
        }
    }

    @Test
    void defaultsAreTheDgpoPapersTable6() {
        assertEquals(Map.of("beta", 2.5, "reduction", "average", "detach_weight", false), PreferenceLosses.create("dgpo").hyperparameters());
        assertEquals(Map.of("beta", 0.01, "label_smoothing", 0.0, "reference_free", false, "f_divergence_type", "reverse_kl"),
                PreferenceLosses.create("dpo").hyperparameters());
        assertEquals(Map.of("tau", 0.5, "f_divergence_type", "reverse_kl"), PreferenceLosses.create("ipo").hyperparameters());
        assertEquals(Map.of("beta", 0.01, "alpha", 1.0), PreferenceLosses.create("cpo").hyperparameters());
        assertEquals(0.01, PreferenceLosses.create("kto").hyperparameters().get("beta"));
        assertEquals(Map.of("lambda", 1.0), PreferenceLosses.create("rrhf").hyperparameters());
        assertEquals(Map.of("delta", 1.0, "beta", 1.0, "lambda", 1.0), PreferenceLosses.create("slic-hf").hyperparameters());
        assertEquals(Map.of("lambda", 1.0), PreferenceLosses.create("orpo").hyperparameters());
        assertEquals(Map.of("beta", 2.5, "gamma", 1.0), PreferenceLosses.create("simpo").hyperparameters());
    }

    @Test
    void reductionsAndReferenceNeeds() {
        assertEquals(Reduction.AVERAGE, PreferenceLosses.create("dgpo").reduction());
        assertEquals(Reduction.SUM, PreferenceLosses.create("dgpo", Map.of("reduction", "sum")).reduction());
        assertTrue(PreferenceLosses.create("dpo").requiresReference());
        assertFalse(PreferenceLosses.create("dpo", Map.of("reference_free", "true")).requiresReference());
        assertTrue(PreferenceLosses.create("ipo").requiresReference());
        assertTrue(PreferenceLosses.create("kto").requiresReference());
        for (String name : List.of("dgpo", "cpo", "rrhf", "slic-hf", "orpo", "simpo")) {
            assertFalse(PreferenceLosses.create(name).requiresReference(), name);
        }
    }

    @Test
    void textValuesAreParsed() {
        PreferenceLoss loss = PreferenceLosses.create("dgpo", Map.of("beta", "1.5", "detach_weight", "TRUE"));
        assertEquals(1.5, loss.hyperparameters().get("beta"));
        assertEquals(true, loss.hyperparameters().get("detach_weight"));
    }

    @Test
    void unknownLossListsValidNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PreferenceLosses.create("dop"));
        assertEquals("unknown loss 'dop'; valid: dgpo, dpo, ipo, cpo, kto, rrhf, slic-hf, orpo, simpo, sft, hinge, robust, exo-pair,"
                + " nca-pair, bco-pair, sppo-hard, apo-zero, apo-down, discopop, sigmoid-norm, aot, aot-unpaired", e.getMessage());
    }

    @Test
    void unknownHyperparameterListsValidOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PreferenceLosses.create("dpo", Map.of("betta", 1)));
        assertEquals("unknown hyperparameter betta for loss 'dpo'; valid: beta, label_smoothing, reference_free, f_divergence_type", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PreferenceLosses.create("ipo", Map.of("reduction", "sum")));
        assertEquals("unknown hyperparameter reduction for loss 'ipo'; valid: tau, f_divergence_type", e.getMessage());
    }

    @Test
    void outOfRangeValuesFailClearly() {
        assertMessage("loss 'dpo': beta must be > 0, got 0.0", "dpo", Map.of("beta", 0));
        assertMessage("loss 'dgpo': beta must be > 0, got -1.0", "dgpo", Map.of("beta", -1));
        assertMessage("loss 'ipo': tau must be > 0, got 0.0", "ipo", Map.of("tau", 0));
        assertMessage("loss 'dpo': label_smoothing must be in [0, 0.5), got 0.5", "dpo", Map.of("label_smoothing", 0.5));
        assertMessage("loss 'dpo': label_smoothing must be in [0, 0.5), got -0.1", "dpo", Map.of("label_smoothing", -0.1));
        assertMessage("loss 'dgpo': reduction must be 'sum' or 'average', got 'mean'", "dgpo", Map.of("reduction", "mean"));
        assertMessage("loss 'dgpo': detach_weight must be true or false, got 'yes'", "dgpo", Map.of("detach_weight", "yes"));
        assertMessage("loss 'cpo': alpha must be >= 0, got -1.0", "cpo", Map.of("alpha", -1));
        assertMessage("loss 'simpo': beta must be a number, got 'x'", "simpo", Map.of("beta", "x"));
        assertMessage("loss 'kto': z0 must be finite, got NaN", "kto", Map.of("z0", "NaN"));
    }

    private static void assertMessage(String expected, String loss, Map<String, ?> params) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, () -> PreferenceLosses.create(loss, params)).getMessage());
    }
}
