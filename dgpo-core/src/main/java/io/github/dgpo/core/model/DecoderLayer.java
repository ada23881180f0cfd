package io.github.dgpo.core.model;

import ai.djl.ndarray.NDArray;

/** Pre-norm decoder layer: {@code x + attn(norm(x))}, then {@code x + mlp(norm(x))}. */
final class DecoderLayer {

    private final RmsNorm inputNorm;
    private final Attention attention;
    private final RmsNorm postAttentionNorm;
    private final SwiGluMlp mlp;
    private final int window;
    private final int index;

    DecoderLayer(ModelConfig c, ParameterSet p, int index, LoraAdapters adapters) {
        String prefix = "model.layers." + index + ".";
        this.inputNorm = new RmsNorm(p.get(prefix + "input_layernorm.weight"), c.rmsNormEps());
        this.attention = new Attention(c, p, prefix + "self_attn.", adapters, index);
        this.postAttentionNorm = new RmsNorm(p.get(prefix + "post_attention_layernorm.weight"), c.rmsNormEps());
        this.mlp = new SwiGluMlp(p, prefix + "mlp.", adapters, index);
        this.window = c.slidingWindow(index);
        this.index = index;
    }

    NDArray forward(NDArray x, ForwardPass pass) {
        NDArray h = x.add(attention.forward(inputNorm.forward(x), pass, pass.mask(window), index));
        return h.add(mlp.forward(postAttentionNorm.forward(h), pass));
    }
}
