package io.github.dgpo.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * Token rows for one forward pass, on the host: the ids, each token's rotary position, and
 * which earlier tokens of its row it may see.
 *
 * <p>Every token belongs to a branch of its row. Branch 0 is shared: every later token of the
 * row sees it. A token of branch {@code k > 0} sees the shared tokens and the earlier tokens of
 * its own branch only. So one row {@code [prompt | chosen | rejected]} with the prompt in branch
 * 0, the chosen completion in branch 1 and the rejected one in branch 2, the rejected tokens'
 * positions continuing from the end of the prompt, gives every token exactly the context and
 * positions it has in two rows {@code [prompt | chosen]} and {@code [prompt | rejected]}. A
 * sliding window is counted on the positions, not on the row index. Rows are right-padded:
 * tokens at or beyond {@code lengths[n]} are padding, seen by nobody.
 *
 * @param ids token ids {@code [N][T]}
 * @param positions rotary position of each token {@code [N][T]}
 * @param branches branch of each token {@code [N][T]} (0 = shared)
 * @param lengths real tokens of each row
 */
public record ModelInput(long[][] ids, int[][] positions, int[][] branches, int[] lengths) {

    /** Checks that the arrays agree in shape and branches are not negative. */
    public ModelInput {
        if (ids.length != positions.length || ids.length != branches.length || ids.length != lengths.length) {
            throw new IllegalArgumentException("ids, positions, branches and lengths must have one entry per row");
        }
        int width = ids.length == 0 ? 0 : ids[0].length;
        for (int n = 0; n < ids.length; n++) {
            if (ids[n].length != width || positions[n].length != width || branches[n].length != width) {
                throw new IllegalArgumentException("row " + n + " is not " + width + " tokens wide");
            }
            if (lengths[n] < 0 || lengths[n] > width) {
                throw new IllegalArgumentException("row " + n + ": length " + lengths[n] + " outside [0, " + width + "]");
            }
            for (int b : branches[n]) {
                if (b < 0) {
                    throw new IllegalArgumentException("row " + n + ": branch " + b + " is negative (0 is shared, 1, 2, ... are branches)");
                }
            }
        }
    }

    /**
     * Plain causal rows: positions {@code 0..T-1}, everything in branch 0.
     *
     * @param ids token ids {@code [N][T]}, right-padded
     * @param lengths real tokens of each row
     * @return the input
     */
    public static ModelInput causal(long[][] ids, int[] lengths) {
        int width = ids.length == 0 ? 0 : ids[0].length;
        int[][] positions = new int[ids.length][width];
        for (int[] row : positions) {
            Arrays.setAll(row, i -> i);
        }
        return new ModelInput(ids, positions, new int[ids.length][width], lengths);
    }

    /**
     * Plain causal rows from an attention mask (1 on real tokens, a prefix of each row).
     *
     * @param ids token ids {@code [N][T]}
     * @param attentionMask 1 on real tokens
     * @return the input
     */
    public static ModelInput causal(long[][] ids, long[][] attentionMask) {
        int[] lengths = new int[ids.length];
        for (int n = 0; n < ids.length; n++) {
            for (long v : attentionMask[n]) {
                lengths[n] += v != 0 ? 1 : 0;
            }
            for (int i = 0; i < lengths[n]; i++) {
                if (attentionMask[n][i] == 0) {
                    throw new IllegalArgumentException("row " + n + ": the attention mask must be 1 on a prefix of the row (right padding)");
                }
            }
        }
        return causal(ids, lengths);
    }

    /** @return rows {@code N} */
    public int rows() {
        return ids.length;
    }

    /** @return padded width {@code T} */
    public int width() {
        return ids.length == 0 ? 0 : ids[0].length;
    }

    /** @return real (non-padding) tokens over all rows */
    public long tokens() {
        long n = 0;
        for (int l : lengths) {
            n += l;
        }
        return n;
    }

    /**
     * The ids as an int64 array.
     *
     * @param m where to create it (the model's device)
     * @return {@code [N, T]}
     */
    public NDArray idsArray(NDManager m) {
        return m.create(ids);
    }

    /**
     * Whether query token {@code i} of row {@code n} sees key token {@code j}.
     *
     * @param n the row
     * @param i the query's index in the row
     * @param j the key's index in the row
     * @param window sliding window W (query sees positions {@code p_i - W < p_j}), 0 for none
     * @return true when visible
     */
    public boolean visible(int n, int i, int j, int window) {
        if (j > i || j >= lengths[n]) {
            return false;
        }
        int bj = branches[n][j];
        if (bj != 0 && bj != branches[n][i]) {
            return false;
        }
        return window == 0 || positions[n][j] > positions[n][i] - window;
    }

    /**
     * The additive attention mask: 0 where a query sees a key, a large negative number
     * elsewhere. A padding query sees itself only, so its softmax stays finite.
     *
     * @param m where to create it
     * @param window sliding window, 0 for none
     * @return {@code [N, 1, 1, T, T]}
     */
    public NDArray additiveMask(NDManager m, int window) {
        int n = rows();
        int t = width();
        float[] mask = new float[Math.multiplyExact(Math.multiplyExact(n, t), t)];
        Arrays.fill(mask, PaddingMask.MASKED);
        for (int b = 0; b < n; b++) {
            for (int i = 0; i < t; i++) {
                int row = (b * t + i) * t;
                if (i >= lengths[b]) {
                    mask[row + i] = 0f;
                    continue;
                }
                for (int j = 0; j <= i; j++) {
                    if (visible(b, i, j, window)) {
                        mask[row + j] = 0f;
                    }
                }
            }
        }
        return m.create(mask, new Shape(n, 1, 1, t, t));
    }
}
