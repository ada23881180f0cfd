package io.github.dgpo.core.logprobs;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Where the completion tokens are: for each label position {@code t+1} with completion mask
 * 1, the hidden-state row {@code n·T + t} that predicts it, the label id, and the sequence.
 *
 * @param rows flat row indices into {@code [N·T, H]}
 * @param labels label token ids
 * @param sequences the sequence of each row
 * @param counts completion tokens per sequence
 */
record CompletionPositions(long[] rows, long[] labels, long[] sequences, long[] counts) {

    static CompletionPositions of(NDArray ids, NDArray completionMask) {
        long n = ids.getShape().get(0);
        int t = Math.toIntExact(ids.getShape().get(1));
        long[] tokens = ids.toType(DataType.INT64, false).toLongArray();
        int[] mask = completionMask.toType(DataType.INT32, false).toIntArray();
        int m = 0;
        long[] counts = new long[(int) n];
        for (int b = 0; b < n; b++) {
            if (mask[b * t] != 0) {
                throw new IllegalArgumentException("sequence " + b + ": the first token cannot be a completion token (nothing predicts it)");
            }
            for (int i = 1; i < t; i++) {
                if (mask[b * t + i] != 0) {
                    m++;
                    counts[b]++;
                }
            }
        }
        long[] rows = new long[m];
        long[] labels = new long[m];
        long[] seqs = new long[m];
        int k = 0;
        for (int b = 0; b < n; b++) {
            for (int i = 1; i < t; i++) {
                if (mask[b * t + i] != 0) {
                    rows[k] = (long) b * t + i - 1;
                    labels[k] = tokens[b * t + i];
                    seqs[k] = b;
                    k++;
                }
            }
        }
        return new CompletionPositions(rows, labels, seqs, counts);
    }

    int size() {
        return rows.length;
    }
}
