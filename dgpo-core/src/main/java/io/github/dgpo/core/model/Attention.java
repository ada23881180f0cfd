package io.github.dgpo.core.model;

import static io.github.dgpo.core.Scalars.times;
import ai.djl.ndarray.NDArray;

/**
 * Grouped-query self-attention with HF parameter names: q/k/v/o projections (optional
 * biases), optional per-head q/k RMSNorm (Qwen3, before rotary), rotary embeddings, and an
 * additive mask carrying causality, padding and any sliding window.
 */
final class Attention {

    private final NDArray q;
    private final NDArray k;
    private final NDArray v;
    private final NDArray o;
    private final NDArray qBias;
    private final NDArray kBias;
    private final NDArray vBias;
    private final NDArray oBias;
    private final RmsNorm qNorm;
    private final RmsNorm kNorm;
    private final int heads;
    private final int kvHeads;
    private final int headDim;

    Attention(ModelConfig c, ParameterSet p, String prefix) {
        this.q = p.get(prefix + "q_proj.weight");
        this.k = p.get(prefix + "k_proj.weight");
        this.v = p.get(prefix + "v_proj.weight");
        this.o = p.get(prefix + "o_proj.weight");
        this.qBias = p.find(prefix + "q_proj.bias");
        this.kBias = p.find(prefix + "k_proj.bias");
        this.vBias = p.find(prefix + "v_proj.bias");
        this.oBias = p.find(prefix + "o_proj.bias");
        NDArray qn = p.find(prefix + "q_norm.weight");
        NDArray kn = p.find(prefix + "k_norm.weight");
        this.qNorm = qn == null ? null : new RmsNorm(qn, c.rmsNormEps());
        this.kNorm = kn == null ? null : new RmsNorm(kn, c.rmsNormEps());
        this.heads = c.heads();
        this.kvHeads = c.kvHeads();
        this.headDim = c.headDim();
    }

    /**
     * @param x hidden states {@code [N, T, H]}
     * @param rotary rotary tables of the tokens' positions
     * @param mask additive mask {@code [N, 1, 1, T, S]}
     * @param cache the KV cache, or null
     * @param layer this layer's index in the cache
     */
    NDArray forward(NDArray x, RotaryEmbedding.Tables rotary, NDArray mask, KvCache cache, int layer) {
        long n = x.getShape().get(0);
        long t = x.getShape().get(1);
        int groups = heads / kvHeads;
        NDArray qs = Ops.linear(x, q, qBias).reshape(n, t, heads, headDim);
        NDArray ks = Ops.linear(x, k, kBias).reshape(n, t, kvHeads, headDim);
        NDArray vs = Ops.linear(x, v, vBias).reshape(n, t, kvHeads, headDim);
        if (qNorm != null) {
            qs = qNorm.forward(qs);
            ks = kNorm.forward(ks);
        }
        // [N, kv, g, T, d] for queries; [N, kv, T, d] for keys and values
        qs = qs.reshape(n, t, kvHeads, groups, headDim).transpose(0, 2, 3, 1, 4);
        ks = ks.transpose(0, 2, 1, 3);
        vs = vs.transpose(0, 2, 1, 3);
        qs = RotaryEmbedding.apply(qs, rotary.queryCos(), rotary.querySin());
        ks = RotaryEmbedding.apply(ks, rotary.keyCos(), rotary.keySin());
        if (cache != null) {
            NDArray[] kv = cache.append(layer, ks, vs);
            ks = kv[0];
            vs = kv[1];
        }
        NDArray kT = ks.expandDims(2).transpose(0, 1, 2, 4, 3);
        NDArray scores = times(qs.matMul(kT), 1.0 / Math.sqrt(headDim)).add(mask);
        NDArray probs = scores.softmax(4);
        NDArray out = probs.matMul(vs.expandDims(2));
        out = out.transpose(0, 3, 1, 2, 4).reshape(n, t, (long) heads * headDim);
        return Ops.linear(out, o, oBias);
    }
}
