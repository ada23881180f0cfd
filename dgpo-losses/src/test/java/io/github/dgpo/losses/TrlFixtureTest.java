package io.github.dgpo.losses;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.core.EngineManagerTest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every TRL {@code DPOTrainer} loss type dgpo has, every f-divergence, the RPO and MPO mixtures
 * and WPO weighting against TRL 1.13 itself: {@code trl/trl_losses.json}, written by {@code
 * tools/generate_trl_loss_fixtures.py} from TRL's own {@code _compute_loss} and torch autograd.
 * Per pair (one TRL call per pair): the loss, {@code d_w = -∂L/∂S_w}, {@code d_l = ∂L/∂S_l}
 * (closed form and autograd) and the autograd gradients with respect to the reference sums. For
 * the batch-dependent AOT losses (one TRL call per batch): the batch loss and {@code -B·∂L/∂S_w,i},
 * {@code B·∂L/∂S_l,i}. For WPO: TRL's weights and weighted losses from the same logits.
 *
 * <p>Where dgpo differs from TRL on purpose only finiteness is checked: where TRL's {@code discopop}
 * overflows ({@code e^{-z}·σ(z/τ) = inf·0}, stored as null) and, for {@code forward_kl}, past dgpo's
 * clamp of {@code -r} at 80 (TRL clamps only the α-divergence).
 *
 * <p>Tolerance: relative 1e-8 (absolute 1e-12) for TRL's float64 cases; TRL's α-divergence only
 * runs in float32, so those cases (inputs rounded to float32, dgpo computing in float64) are
 * compared to relative 1e-4 (absolute 1e-6), the float32 error of TRL's log-ratios of sums up to
 * about 1200 propagated through the exponential scores. A case may name its own relative tolerance
 * with the reason ({@code exo_pair}: TRL computes {@code log ε} and {@code log(1-ε)} in float32).
 */
class TrlFixtureTest extends EngineManagerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static JsonNode fixture;

    static synchronized JsonNode fixture() {
        if (fixture == null) {
            try (InputStream in = TrlFixtureTest.class.getResourceAsStream("/trl/trl_losses.json")) {
                fixture = JSON.readTree(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return fixture;
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        fixture().get("cases").forEach(c -> out.add(Arguments.of(c.get("name").asText(), c)));
        return out.stream();
    }

    @Test
    void fixtureIsTrl113AndCoversEveryNewLoss() {
        assertEquals("1.13.0", fixture().get("trl").asText());
        List<String> covered = new ArrayList<>();
        fixture().get("cases").forEach(c -> c.get("dgpo").get("losses").forEach(n -> covered.add(n.asText())));
        for (String name : List.of("dpo", "ipo", "sft", "hinge", "robust", "exo-pair", "nca-pair", "bco-pair", "sppo-hard", "apo-zero",
                "apo-down", "discopop", "sigmoid-norm", "aot", "aot-unpaired")) {
            assertTrue(covered.contains(name), name + " has no TRL case");
        }
        List<String> divergences = new ArrayList<>();
        fixture().get("cases").forEach(c -> {
            JsonNode f = c.get("dgpo").get("hyperparameters").get("f_divergence_type");
            if (f != null) {
                divergences.add(f.asText());
            }
        });
        assertTrue(divergences.containsAll(FDivergence.TYPES.subList(1, 4)), divergences.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTrl(String name, JsonNode c) {
        boolean float32 = c.get("dtype").asText().equals("float32");
        double rel = c.has("rel_tolerance") ? c.get("rel_tolerance").asDouble() : float32 ? 1e-4 : 1e-8;
        double abs = float32 ? 1e-6 : 1e-12;
        JsonNode d = c.get("dgpo");
        PreferenceLoss loss = PreferenceLosses.create(strings(d.get("losses")), doubles(d.get("weights")), map(d.get("hyperparameters")));
        JsonNode pairs = c.get("pairs");
        int b = pairs.get("sw").size();
        try (NDManager m = manager.newSubManager()) {
            NDArray sw = m.create(array(pairs.get("sw")));
            NDArray sl = m.create(array(pairs.get("sl")));
            NDArray rw = m.create(array(pairs.get("rw")));
            NDArray rl = m.create(array(pairs.get("rl")));
            for (NDArray x : List.of(sw, sl, rw, rl)) {
                x.setRequiresGradient(true);
            }
            PairLogps logps = PairLogps.of(sw, sl, m.create(array(pairs.get("nw"))), m.create(array(pairs.get("nl")))).withReference(rw, rl);
            if (pairs.has("align_w")) {
                logps = logps.withAlignment(m.create(array(pairs.get("align_w"))), m.create(array(pairs.get("align_l"))));
            }
            LossOutput out;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                out = loss.compute(logps);
                gc.backward(out.perPair().sum()); // B·L: per pair for per-pair losses, the batch convention otherwise
            }
            double scale = c.get("batch").asBoolean() ? b : 1;
            boolean[] differs = new boolean[b];
            JsonNode type = d.get("hyperparameters").get("f_divergence_type");
            if (type != null && type.asText().equals("forward_kl")) {
                for (int i = 0; i < b; i++) {
                    differs[i] = pairs.get("rw").get(i).asDouble() - pairs.get("sw").get(i).asDouble() > 80
                            || pairs.get("rl").get(i).asDouble() - pairs.get("sl").get(i).asDouble() > 80;
                }
            }
            if (c.get("batch").asBoolean()) {
                close(name + " batch loss", c.get("loss").asDouble(), out.loss().getDouble(), rel, abs);
            } else {
                compare(name + " loss", array(c.get("loss")), out.perPair().toDoubleArray(), 1, rel, abs, differs);
            }
            if (c.has("grad_sw")) {
                compare(name + " d_w", array(c.get("grad_sw")), out.dW().toDoubleArray(), -scale, rel, abs, differs);
                compare(name + " d_l", array(c.get("grad_sl")), out.dL().toDoubleArray(), scale, rel, abs, differs);
                compare(name + " autograd S_w", array(c.get("grad_sw")), gradient(sw), scale, rel, abs, differs);
                compare(name + " autograd S_l", array(c.get("grad_sl")), gradient(sl), scale, rel, abs, differs);
                compare(name + " autograd R_w", array(c.get("grad_rw")), gradient(rw), scale, rel, abs, differs);
                compare(name + " autograd R_l", array(c.get("grad_rl")), gradient(rl), scale, rel, abs, differs);
            }
            if (c.has("weight")) {
                compare(name + " weight", array(c.get("weight")), WpoWeightedLoss.weights(logps).toDoubleArray(), 1, rel, abs, new boolean[b]);
                double meanWeight = 0;
                for (double w : array(c.get("weight"))) {
                    meanWeight += w / b;
                }
                close(name + " wpo/weight", meanWeight, out.metrics().get("wpo/weight"), rel, abs);
            }
        }
    }

    /** Per pair; where TRL is not finite or {@code differs}, only that dgpo is finite. */
    private static void compare(String what, double[] trl, double[] dgpo, double scale, double rel, double abs, boolean[] differs) {
        assertEquals(trl.length, dgpo.length, what);
        for (int i = 0; i < trl.length; i++) {
            if (differs[i] || !Double.isFinite(trl[i])) {
                assertTrue(Double.isFinite(dgpo[i]), what + " pair " + i + ": dgpo " + dgpo[i]);
            } else {
                close(what + " pair " + i, scale * trl[i], dgpo[i], rel, abs);
            }
        }
    }

    private static void close(String what, double expected, double actual, double rel, double abs) {
        double diff = Math.abs(expected - actual);
        if (!(diff <= abs || diff <= rel * Math.max(Math.abs(expected), Math.abs(actual)))) {
            fail(what + ": TRL " + expected + ", dgpo " + actual);
        }
    }

    /** A leaf's gradient (an unused leaf's is float32 zeros). */
    private static double[] gradient(NDArray x) {
        return x.getGradient().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
    }

    static double[] array(JsonNode node) {
        double[] out = new double[node.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = node.get(i).isNull() ? Double.NaN : node.get(i).asDouble();
        }
        return out;
    }

    private static List<String> strings(JsonNode node) {
        List<String> out = new ArrayList<>();
        node.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static List<Double> doubles(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        List<Double> out = new ArrayList<>();
        node.forEach(n -> out.add(n.asDouble()));
        return out;
    }

    private static Map<String, Object> map(JsonNode node) {
        Map<String, Object> out = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().isBoolean() ? e.getValue().asBoolean()
                : e.getValue().isNumber() ? e.getValue().asDouble() : e.getValue().asText()));
        return out;
    }
}
