package io.github.dgpo.core.model;

import ai.djl.ndarray.NDArray;

/**
 * Keys and values of every layer for incremental decoding ({@code [N, kvHeads, S, headDim]}
 * each), plus the attention mask of the cached positions.
 *
 * <p>Each step grows the cache in the manager of the step's new arrays: the cached arrays are
 * moved into it first, so the grown copy, every view of it and the replaced copy are freed
 * with the step, and {@link #detachTo} keeps only the current copy. (DJL puts an op's result
 * in its first operand's manager; with the cache left in a long-lived manager, every step's
 * copy would live until generation ends, memory quadratic in the number of tokens.)
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
            NDArray oldK = keys[layer];
            NDArray oldV = values[layer];
            oldK.attach(k.getManager());
            oldV.attach(v.getManager());
            k = oldK.concat(k, 2);
            v = oldV.concat(v, 2);
            oldK.close();
            oldV.close();
        }
        keys[layer] = k;
        values[layer] = v;
        return new NDArray[] {k, v};
    }

    /**
     * Moves the cached arrays to a manager, so that a step's temporaries can be freed while the
     * cache lives on.
     *
     * @param manager the manager that owns the cache
     */
    public void detachTo(ai.djl.ndarray.NDManager manager) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                keys[i].attach(manager);
                values[i].attach(manager);
            }
        }
        if (attentionMask != null) {
            attentionMask.attach(manager);
        }
    }

    NDArray extendMask(NDArray newMask) {
        if (attentionMask == null) {
            attentionMask = newMask;
        } else {
            NDArray old = attentionMask;
            old.attach(newMask.getManager());
            attentionMask = old.concat(newMask, 1);
            old.close();
        }
        return attentionMask;
    }
}
