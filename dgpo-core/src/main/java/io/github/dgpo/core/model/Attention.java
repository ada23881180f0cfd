package io.github.dgpo.core.model;

import static io.github.dgpo.core.Scalars.times;
import ai.djl.ndarray.NDArray;

/**
 * Grouped-query self-attention with HF parameter names: q/k/v/o projections (optional
 * biases, optional LoRA adapters), optional per-head q/k RMSNorm (Qwen3, before rotary), rotary
 * embeddings, and an additive mask carrying causality, padding and any sliding window.
 */
final class Attention {

    private final Linear q;
    private final Linear k;
    private final Linear v;
    private final Linear o;
    private final RmsNorm qNorm;
    private final RmsNorm kNorm;
    private final int heads;
    private final int kvHeads;
    private final int headDim;

    Attention(ModelConfig c, ParameterSet p, String prefix, LoraAdapters adapters, int layer) {
        this.q = new Linear(p, prefix + "q_proj", adapters, layer);
        this.k = new Linear(p, prefix + "k_proj", adapters, layer);
        this.v = new Linear(p, prefix + "v_proj", adapters, layer);
        this.o = new Linear(p, prefix + "o_proj", adapters, layer);
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
     * @param pass the pass: rotary tables, the KV cache, the adapters' dropout
     * @param mask this layer's additive mask {@code [N, 1, 1, T, S]}
     * @param layer this layer's index (cache, dropout seeds)
     */
    NDArray forward(NDArray x, ForwardPass pass, NDArray mask, int layer) {
        long n = x.getShape().get(0);
        long t = x.getShape().get(1);
        int groups = heads / kvHeads;
        NDArray qs = q.forward(x, pass).reshape(n, t, heads, headDim);
        NDArray ks = k.forward(x, pass).reshape(n, t, kvHeads, headDim);
        NDArray vs = v.forward(x, pass).reshape(n, t, kvHeads, headDim);
        if (qNorm != null) {
            qs = qNorm.forward(qs);
            ks = kNorm.forward(ks);
        }
        // [N, kv, g, T, d] for queries; [N, kv, T, d] for keys and values
        qs = qs.reshape(n, t, kvHeads, groups, headDim).transpose(0, 2, 3, 1, 4);
        ks = ks.transpose(0, 2, 1, 3);
        vs = vs.transpose(0, 2, 1, 3);
        RotaryEmbedding.Tables rotary = pass.rotary();
        qs = RotaryEmbedding.apply(qs, rotary.queryCos(), rotary.querySin());
        ks = RotaryEmbedding.apply(ks, rotary.keyCos(), rotary.keySin());
        KvCache cache = pass.cache();
        if (cache != null) {
            NDArray[] kv = cache.append(layer, ks, vs);
            ks = kv[0];
            vs = kv[1];
        }
        NDArray kT = ks.expandDims(2).transpose(0, 1, 2, 4, 3);
        // Three [N, heads, T, S] temporaries autograd does not keep (it keeps the softmax's
        // output): closed at once, so a layer holds one T² tensor beside the probabilities.
        NDArray raw = qs.matMul(kT);
        NDArray scaled = times(raw, 1.0 / Math.sqrt(headDim));
        raw.close();
        NDArray scores = scaled.add(mask);
        scaled.close();
        NDArray probs = scores.softmax(4);
        scores.close();
        NDArray out = probs.matMul(vs.expandDims(2));
        out = out.transpose(0, 3, 1, 2, 4).reshape(n, t, (long) heads * headDim);
        return o.forward(out, pass);
    }
}
