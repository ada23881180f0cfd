package io.github.dgpo.train.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.core.EngineManagerTest;
import io.github.dgpo.core.model.ParameterLayout;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * AdamW, the learning-rate schedules and global-norm clipping against PyTorch and transformers:
 * {@code optim/optimizer.json}, written by {@code tools/generate_optimizer_fixtures.py} with {@code
 * torch.optim.AdamW}, transformers' {@code get_*_schedule_with_warmup} and {@code
 * TrainingArguments.get_warmup_steps}, and {@code torch.nn.utils.clip_grad_norm_}.
 */
class OptimizerFixtureTest extends EngineManagerTest {

    private static JsonNode fixture;

    @BeforeAll
    static void open() throws IOException {
        try (InputStream in = OptimizerFixtureTest.class.getResourceAsStream("/optim/optimizer.json")) {
            fixture = new ObjectMapper().readTree(in);
        }
    }

    /**
     * Four AdamW steps (β = (0.9, 0.95), ε = 1e-8, weight decay 0.1, learning rates 1e-2, 3e-3, 5e-2,
     * 2e-2) on a tiny Qwen2's parameters in float32, decay off for its norms and biases as
     * transformers' Trainer has it: parameters after every step and the final moments equal
     * torch's within 2e-6 relative (parameters: 1e-8 absolute; moments: the float32 rounding of their
     * O(1) gradient terms, 5e-8). The norm weights start at 1, so decaying them
     * by mistake would move them by 5e-4 in the third step alone.
     */
    @Test
    void adamWMatchesTorchOverSeveralStepsWithWeightDecay() {
        JsonNode a = fixture.get("adamw");
        assertEquals(0.1, a.get("weight_decay").asDouble());
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> params = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = a.get("shapes").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                NDArray p = m.create(floats(a.get("initial").get(e.getKey())), shape(e.getValue()));
                p.setRequiresGradient(true);
                params.put(e.getKey(), p);
            }
            AdamW adamW = new AdamW(params, m, a.get("betas").get(0).asDouble(), a.get("betas").get(1).asDouble(), a.get("eps").asDouble(),
                    a.get("weight_decay").asDouble());
            for (int step = 0; step < a.get("learning_rates").size(); step++) {
                setGradients(m, params, a.get("gradients").get(step));
                adamW.step(params, a.get("learning_rates").get(step).asDouble());
                for (Map.Entry<String, NDArray> e : params.entrySet()) {
                    // 3e-8: the fused kernel orders the same float32 operations differently from torch (updates are up to 5e-2)
                    compare("step " + (step + 1) + " " + e.getKey(), a.get("after").get(step).get(e.getKey()), e.getValue(), 2e-6, 3e-8);
                }
            }
            assertEquals(4, adamW.steps());
            for (String name : params.keySet()) {
                // moments are sums of O(1) gradient terms of either sign: absolute float32 rounding of those terms
                compare("exp_avg " + name, a.get("exp_avg").get(name), adamW.firstMoments().get(name), 2e-6, 5e-8);
                compare("exp_avg_sq " + name, a.get("exp_avg_sq").get(name), adamW.secondMoments().get(name), 2e-6, 1e-9);
            }
        }
    }

    /**
     * Where ε sits: torch adds it to {@code sqrt(v / (1 - β2^t))}, after the bias correction. With
     * gradients from 1e-10 to 1e-1, {@code sqrt(v̂)} crosses ε, so an ε inside the correction (or
     * missing) moves the small-gradient entries by far more than the 1e-5 relative allowed here;
     * the reference is torch's formula evaluated in double precision.
     */
    @Test
    void epsilonSitsAfterTheBiasCorrectionAsInTorch() {
        double lr = 1e-3;
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-8;
        double wd = 0.01;
        double[] grad = {1e-10, 3e-9, 1e-8, 5e-8, 1e-6, -2e-4, 1e-1};
        double[] p = {0.5, -0.25, 0.125, 1.0, -1.0, 0.75, 0.1};
        double[] m1 = new double[grad.length];
        double[] v1 = new double[grad.length];
        try (NDManager m = manager.newSubManager()) {
            NDArray param = m.create(toFloats(p));
            param.setRequiresGradient(true);
            Map<String, NDArray> params = Map.of("w", param);
            AdamW adamW = new AdamW(params, m, b1, b2, eps, wd);
            for (int t = 1; t <= 3; t++) {
                Gradients.zero(params);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(param.mul(m.create(toFloats(grad))).sum());
                }
                adamW.step(params, lr);
                for (int i = 0; i < p.length; i++) {
                    p[i] *= 1 - lr * wd;
                    m1[i] = b1 * m1[i] + (1 - b1) * grad[i];
                    v1[i] = b2 * v1[i] + (1 - b2) * grad[i] * grad[i];
                    p[i] -= lr / (1 - Math.pow(b1, t)) * m1[i] / (Math.sqrt(v1[i] / (1 - Math.pow(b2, t))) + eps);
                }
                float[] got = param.toFloatArray();
                for (int i = 0; i < p.length; i++) {
                    assertEquals(p[i], got[i], 1e-5 * Math.abs(p[i]), "step " + t + " entry " + i + " (gradient " + grad[i] + ")");
                }
            }
        }
    }

    private static float[] toFloats(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }

    /** dgpo's norm/bias exclusion names the same parameters as transformers' Trainer, for Qwen2 (biases) and Qwen3 (q/k norms). */
    @Test
    void weightDecayExclusionIsTransformers() {
        int checked = 0;
        for (JsonNode model : fixture.get("decay_names")) {
            for (Iterator<Map.Entry<String, JsonNode>> it = model.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                assertEquals(!e.getValue().asBoolean(), ParameterLayout.isNormOrBias(e.getKey()), e.getKey());
                checked++;
            }
        }
        assertTrue(checked >= 28, "parameters checked: " + checked);
    }

    /** Every update's rate, past the end too, and the warmup length from a ratio, for cosine, linear and constant. */
    @Test
    void schedulesAreTransformers() {
        for (JsonNode s : fixture.get("schedules")) {
            String what = s.get("type").asText() + " total=" + s.get("total") + " warmup_ratio=" + s.get("warmup_ratio");
            LearningRateSchedule schedule = new LearningRateSchedule(3e-4, s.get("warmup_ratio").asDouble(), s.get("total").asInt(), s.get("type").asText());
            assertEquals(s.get("warmup_steps").asInt(), schedule.warmupSteps(), what);
            for (int k = 0; k < s.get("factors").size(); k++) {
                assertEquals(3e-4 * s.get("factors").get(k).asDouble(), schedule.at(k), 1e-15, what + " update " + k);
            }
        }
    }

    /** The global norm and the clipped gradients, clipping and not clipping, equal clip_grad_norm_'s (float32). */
    @Test
    void clippingIsTorchsClipGradNorm() {
        for (JsonNode c : fixture.get("clipping")) {
            try (NDManager m = manager.newSubManager()) {
                Map<String, NDArray> params = new LinkedHashMap<>();
                JsonNode gradients = byName(c.get("gradients"));
                for (int i = 0; i < c.get("shapes").size(); i++) {
                    NDArray p = m.zeros(shape(c.get("shapes").get(i)), DataType.FLOAT32);
                    p.setRequiresGradient(true);
                    params.put("p" + i, p);
                }
                setGradients(m, params, gradients);
                double norm = Gradients.globalNorm(params);
                assertEquals(c.get("norm").asDouble(), norm, 1e-6 * norm, "max_norm " + c.get("max_norm"));
                Gradients.clip(params, norm, c.get("max_norm").asDouble());
                for (int i = 0; i < c.get("shapes").size(); i++) {
                    compare("clipped p" + i, c.get("clipped").get(i), params.get("p" + i).getGradient(), 1e-6, 1e-9);
                }
            }
        }
    }

    /** Sets each parameter's gradient to exactly G: zero, then backward of Σ p·G. */
    private static void setGradients(NDManager m, Map<String, NDArray> params, JsonNode gradients) {
        Gradients.zero(params);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray total = null;
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                NDArray g = m.create(floats(gradients.get(e.getKey())), e.getValue().getShape());
                NDArray term = e.getValue().mul(g).sum();
                total = total == null ? term : total.add(term);
            }
            gc.backward(total);
        }
    }

    /** The clipping cases' gradient list as {@code p0, p1, ...}. */
    private static JsonNode byName(JsonNode list) {
        com.fasterxml.jackson.databind.node.ObjectNode out = new ObjectMapper().createObjectNode();
        for (int i = 0; i < list.size(); i++) {
            out.set("p" + i, list.get(i));
        }
        return out;
    }

    private static void compare(String what, JsonNode expected, NDArray actual, double rel, double abs) {
        float[] got = actual.toType(DataType.FLOAT32, false).toFloatArray();
        assertEquals(expected.size(), got.length, what);
        for (int i = 0; i < got.length; i++) {
            double e = expected.get(i).asDouble();
            if (Math.abs(e - got[i]) > Math.max(abs, rel * Math.abs(e))) {
                fail(what + "[" + i + "]: torch " + e + ", dgpo " + got[i]);
            }
        }
    }

    private static float[] floats(JsonNode values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) values.get(i).asDouble();
        }
        return out;
    }

    private static Shape shape(JsonNode dims) {
        long[] out = new long[dims.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = dims.get(i).asLong();
        }
        return new Shape(out);
    }
}
