package io.github.dgpo.core.model;

import ai.djl.ndarray.NDArray;

/**
 * Keys and values of every layer for incremental decoding ({@code [N, kvHeads, S, headDim]}
 * each), plus the attention mask of the cached positions.
 */
public final class KvCache {

    private final NDArray[] keys;
    private final NDArray[] values;
    private NDArray attentionMask;

    /**
     * Creates an empty cache.
     *
     * @param layers number of layers
     */
    public KvCache(int layers) {
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
    }

    /**
     * Returns the number of cached positions.
     *
     * @return {@code S}
     */
    public long length() {
        return keys[0] == null ? 0 : keys[0].getShape().get(2);
    }

    NDArray[] append(int layer, NDArray k, NDArray v) {
        if (keys[layer] != null) {
            k = keys[layer].concat(k, 2);
            v = values[layer].concat(v, 2);
        }
        keys[layer] = k;
        values[layer] = v;
        return new NDArray[] {k, v};
    }

    NDArray extendMask(NDArray newMask) {
        attentionMask = attentionMask == null ? newMask : attentionMask.concat(newMask, 1);
        return attentionMask;
    }
}
