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
                "nca-pair", "bco-pair", "sppo-hard", "apo-zero", "apo-down", "discopop", "sigmoid-norm", "aot", "aot-unpaired", "dgpo-kl"),
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

    /** TRL's default β (0.1) unless the loss's authors use another; see docs/losses.md. */
    @Test
    void defaultsOfTrlsLossTypes() {
        Map<String, Object> fdiv = Map.of("f_divergence_type", "reverse_kl");
        assertEquals(with(Map.of("beta", 0.1), fdiv), PreferenceLosses.create("hinge").hyperparameters());
        assertEquals(with(Map.of("beta", 0.1, "label_smoothing", 0.1), fdiv), PreferenceLosses.create("robust").hyperparameters());
        assertEquals(with(Map.of("beta", 0.1, "label_smoothing", 1e-3), fdiv), PreferenceLosses.create("exo-pair").hyperparameters());
        assertEquals(Map.of("beta", 0.1), PreferenceLosses.create("nca-pair").hyperparameters());
        assertEquals(Map.of("beta", 0.1, "bco_running_mean", false), PreferenceLosses.create("bco-pair").hyperparameters());
        assertEquals(Map.of("beta", 0.001), PreferenceLosses.create("sppo-hard").hyperparameters());
        assertEquals(Map.of("beta", 0.1), PreferenceLosses.create("apo-zero").hyperparameters());
        assertEquals(Map.of("beta", 0.1), PreferenceLosses.create("apo-down").hyperparameters());
        assertEquals(with(Map.of("beta", 0.05, "discopop_tau", 0.05), fdiv), PreferenceLosses.create("discopop").hyperparameters());
        assertEquals(with(Map.of("beta", 5.0), fdiv), PreferenceLosses.create("sigmoid-norm").hyperparameters());
        assertEquals(Map.of("beta", 0.1, "label_smoothing", 0.0), PreferenceLosses.create("aot").hyperparameters());
        assertEquals(Map.of("beta", 0.1, "label_smoothing", 0.0), PreferenceLosses.create("aot-unpaired").hyperparameters());
        assertEquals(0.5, PreferenceLosses.create("dpo", Map.of("f_divergence_type", "alpha_divergence")).hyperparameters().get("f_alpha_divergence_coef"));
        for (String name : List.of("hinge", "robust", "exo-pair", "nca-pair", "bco-pair", "sppo-hard", "apo-zero", "apo-down", "discopop",
                "sigmoid-norm", "aot", "aot-unpaired")) {
            assertTrue(PreferenceLosses.create(name).requiresReference(), name);
        }
        assertEquals(Reduction.AVERAGE, PreferenceLosses.create("sigmoid-norm").reduction());
        assertTrue(PreferenceLosses.create("aot").batchDependent());
        assertFalse(PreferenceLosses.create("discopop").batchDependent());
    }

    private static Map<String, Object> with(Map<String, ?> a, Map<String, ?> b) {
        Map<String, Object> out = new java.util.HashMap<>(a);
        out.putAll(b);
        return out;
    }

    @Test
    void fDivergenceErrors() {
        assertMessage("loss 'dpo': f_divergence_type must be one of reverse_kl, forward_kl, js_divergence, alpha_divergence, got 'kl'", "dpo",
                Map.of("f_divergence_type", "kl"));
        assertMessage("loss 'dpo': f_alpha_divergence_coef is used only with f_divergence_type = alpha_divergence, not reverse_kl", "dpo",
                Map.of("f_alpha_divergence_coef", 0.3));
        assertMessage("loss 'dpo': f_divergence_type js_divergence needs a reference; it cannot be used with reference_free", "dpo",
                Map.of("f_divergence_type", "js_divergence", "reference_free", true));
        assertMessage("unknown hyperparameter f_divergence_type for loss 'nca-pair'; valid: beta", "nca-pair", Map.of("f_divergence_type", "forward_kl"));
        assertMessage("unknown hyperparameter f_divergence_type for loss 'aot'; valid: beta, label_smoothing", "aot",
                Map.of("f_divergence_type", "forward_kl"));
        assertMessage("loss 'exo-pair': label_smoothing must be in (0, 1), got 0.0", "exo-pair", Map.of("label_smoothing", 0));
        assertMessage("loss 'robust': label_smoothing must be in [0, 0.5), got 0.5", "robust", Map.of("label_smoothing", 0.5));
        assertMessage("loss 'discopop': discopop_tau must be > 0, got 0.0", "discopop", Map.of("discopop_tau", 0));
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
                + " nca-pair, bco-pair, sppo-hard, apo-zero, apo-down, discopop, sigmoid-norm, aot, aot-unpaired, dgpo-kl", e.getMessage());
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
