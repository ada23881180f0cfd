package io.github.dgpo.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * The additive attention mask of a pass described by a 0/1 attention mask over its keys (the
 * generation path: new tokens after {@code offset} cached ones): 0 where query {@code offset + i}
 * sees key {@code j} (a real key, causal, inside any sliding window), {@link #MASKED} elsewhere.
 */
final class PaddingMask {

    /** The additive value of a key a query does not see. */
    static final float MASKED = -1e9f;
    /** Largest additive mask (float32 elements) a forward builds: its bytes must fit in one native buffer. */
    private static final long MAX_ELEMENTS = (Integer.MAX_VALUE - 8) / Float.BYTES;

    private PaddingMask() {}

    /**
     * Refuses a pass whose mask would not fit in one array.
     *
     * @param n rows
     * @param t new tokens per row
     * @param offset cached positions
     * @throws IllegalArgumentException naming the sizes
     */
    static void checkSize(long n, int t, long offset) {
        long elements = n * t * (offset + t);
        if (elements > MAX_ELEMENTS) {
            throw new IllegalArgumentException(n + " rows of " + t + " tokens (" + (offset + t) + " positions) need an attention mask of " + elements
                    + " elements, more than the " + MAX_ELEMENTS + " one forward pass may use: use shorter sequences or smaller batches");
        }
    }

    /**
     * Builds the mask.
     *
     * @param m where to create it
     * @param padding the 0/1 attention mask of every key, {@code [N × S]} flattened
     * @param n rows {@code N}
     * @param t new tokens per row {@code T}
     * @param offset cached positions ({@code S - T})
     * @param window sliding window, 0 for none
     * @return {@code [N, 1, 1, T, S]}
     */
    static NDArray additive(NDManager m, int[] padding, long n, int t, long offset, int window) {
        int s = Math.toIntExact(padding.length / n);
        float[] mask = new float[Math.toIntExact(n * t * s)];
        for (int b = 0; b < n; b++) {
            for (int i = 0; i < t; i++) {
                long q = offset + i;
                int row = (b * t + i) * s;
                for (int j = 0; j < s; j++) {
                    boolean visible = padding[b * s + j] != 0 && j <= q && (window == 0 || j > q - window);
                    mask[row + j] = visible ? 0f : MASKED;
                }
            }
        }
        return m.create(mask, new Shape(n, 1, 1, t, s));
    }
}
