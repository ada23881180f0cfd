package io.github.dgpo.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;
import java.util.ArrayList;
import java.util.List;

/**
 * A model's body: the input embedding, the decoder layers (with any adapters) and the final norm,
 * and the ways to run them.
 *
 * <p>DJL keeps every array an operation returns until its manager closes, also arrays autograd
 * does not need. {@link #runScoped} therefore runs each layer in its own sub-manager and closes it
 * when the layer is done: afterwards only the layer's output and what autograd itself keeps for
 * the backward pass (libtorch reference-counts tensors, so closing a DJL handle never frees a
 * tensor the graph still uses) remain; without a graph, at most one layer's temporaries exist at
 * once.
 */
final class DecoderStack {

    private final NDArray embedding;
    private final List<DecoderLayer> layers = new ArrayList<>();
    private final RmsNorm norm;

    DecoderStack(ModelConfig config, ParameterSet p, LoraAdapters adapters) {
        this.embedding = p.get("model.embed_tokens.weight");
        for (int i = 0; i < config.layers(); i++) {
            layers.add(new DecoderLayer(config, p, i, adapters));
        }
        this.norm = new RmsNorm(p.get("model.norm.weight"), config.rmsNormEps());
    }

    /** @return the number of decoder layers */
    int depth() {
        return layers.size();
    }

    /** Token embeddings {@code [N, T, H]} (float32), in the ids' manager; a float16 table is gathered, then widened. */
    NDArray embed(NDArray ids) {
        NDArray e = ids.getNDArrayInternal().embedding(ids, embedding, SparseFormat.DENSE).singletonOrThrow();
        if (e.getDataType() == DataType.FLOAT32) {
            return e;
        }
        NDArray wide = e.toType(DataType.FLOAT32, false);
        e.close();
        return wide;
    }

    /** @return whether the embedding takes a gradient (a full fine-tune) */
    boolean embeddingTrainable() {
        return embedding.hasGradient();
    }

    /** The layers and the final norm, every array in the input's manager (the KV-cache path: the cache keeps what it appends). */
    NDArray run(NDArray x, ForwardPass pass) {
        for (DecoderLayer layer : layers) {
            x = layer.forward(x, pass);
        }
        return norm.forward(x);
    }

    /** The layers and the final norm, each layer in its own scope; consumes {@code x}, the result lands in its manager. */
    NDArray runScoped(NDArray x, ForwardPass pass) {
        NDManager into = x.getManager();
        for (int l = 0; l < layers.size(); l++) {
            x = layer(l, x, pass, into, false);
        }
        return norm(x);
    }

    /**
     * Runs one layer in its own scope.
     *
     * @param l the layer
     * @param x its input
     * @param pass the pass
     * @param into manager of the output
     * @param keepInput whether {@code x} stays open (else it is closed with the scope)
     * @return the layer's output
     */
    NDArray layer(int l, NDArray x, ForwardPass pass, NDManager into, boolean keepInput) {
        try (NDManager scope = into.newSubManager()) {
            if (keepInput) {
                x.tempAttach(scope);
            } else {
                x.attach(scope);
            }
            NDArray y = layers.get(l).forward(x, pass);
            y.attach(into);
            return y;
        }
    }

    /** Runs one layer on {@code x}, its arrays in {@code x}'s manager. */
    NDArray layer(int l, NDArray x, ForwardPass pass) {
        return layers.get(l).forward(x, pass);
    }

    /** The final norm. */
    NDArray norm(NDArray x) {
        return norm.forward(x);
    }
}
