package io.github.dgpo.core.model;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The parameters a config implies, with HF names and HF {@code [out, in]} shapes, in the order
 * HF's modules declare them.
 */
public final class ParameterLayout {

    private final Map<String, long[]> shapes = new LinkedHashMap<>();

    private ParameterLayout() {}

    /**
     * Derives the layout of a config.
     *
     * @param c the config
     * @return the expected parameters
     */
    public static ParameterLayout of(ModelConfig c) {
        ParameterLayout l = new ParameterLayout();
        long h = c.hiddenSize();
        long q = (long) c.heads() * c.headDim();
        long kv = (long) c.kvHeads() * c.headDim();
        long i = c.intermediateSize();
        l.add("model.embed_tokens.weight", c.vocabSize(), h);
        for (int layer = 0; layer < c.layers(); layer++) {
            String p = "model.layers." + layer + ".";
            l.add(p + "input_layernorm.weight", h);
            l.add(p + "self_attn.q_proj.weight", q, h);
            if (c.qkvBias()) {
                l.add(p + "self_attn.q_proj.bias", q);
            }
            l.add(p + "self_attn.k_proj.weight", kv, h);
            if (c.qkvBias()) {
                l.add(p + "self_attn.k_proj.bias", kv);
            }
            l.add(p + "self_attn.v_proj.weight", kv, h);
            if (c.qkvBias()) {
                l.add(p + "self_attn.v_proj.bias", kv);
            }
            l.add(p + "self_attn.o_proj.weight", h, q);
            if (c.outputBias()) {
                l.add(p + "self_attn.o_proj.bias", h);
            }
            if (c.architecture() == Architecture.QWEN3) {
                l.add(p + "self_attn.q_norm.weight", c.headDim());
                l.add(p + "self_attn.k_norm.weight", c.headDim());
            }
            l.add(p + "post_attention_layernorm.weight", h);
            l.add(p + "mlp.gate_proj.weight", i, h);
            l.add(p + "mlp.up_proj.weight", i, h);
            l.add(p + "mlp.down_proj.weight", h, i);
            if (c.mlpBias()) {
                l.add(p + "mlp.gate_proj.bias", i);
                l.add(p + "mlp.up_proj.bias", i);
                l.add(p + "mlp.down_proj.bias", h);
            }
        }
        l.add("model.norm.weight", h);
        if (!c.tieWordEmbeddings()) {
            l.add("lm_head.weight", c.vocabSize(), h);
        }
        return l;
    }

    private void add(String name, long... shape) {
        shapes.put(name, shape);
    }

    /**
     * Returns the expected shapes by name.
     *
     * @return an unmodifiable ordered map
     */
    public Map<String, long[]> shapes() {
        return Collections.unmodifiableMap(shapes);
    }

    /**
     * Returns whether a parameter is a norm weight or a bias (no weight decay, ones/zeros init).
     *
     * @param name HF name
     * @return true for norms and biases
     */
    public static boolean isNormOrBias(String name) {
        return name.endsWith(".bias") || name.contains("norm.");
    }

    /**
     * Returns the number of scalars.
     *
     * @return the parameter count
     */
    public long count() {
        return shapes.values().stream().mapToLong(s -> Arrays.stream(s).reduce(1, Math::multiplyExact)).sum();
    }
}
