package io.github.dgpo.core.logprobs;

import java.util.Arrays;

/**
 * Where the completion tokens of a batch are: for each completion token, the flat hidden-state
 * row {@code n·T + t} that predicts it, the token (label), the sequence it belongs to, and an
 * optional weight of its log-probability in the sequence's sum. Sequences are numbered {@code
 * 0..S-1} independently of rows, so one row may carry several sequences (a shared prompt with
 * two completions) and a hidden-state row may predict the first token of several sequences.
 *
 * @param rows flat row index of the predicting hidden state, per completion token
 * @param labels the completion token ids
 * @param sequences the sequence of each completion token
 * @param ordinals the 0-based index of each token within its sequence's completion
 * @param weights weight of each token in its sequence's sum, or null for all 1
 * @param counts completion tokens per sequence
 */
public record CompletionTargets(long[] rows, long[] labels, int[] sequences, int[] ordinals, float[] weights, int[] counts) {

    /** Checks that the per-token arrays agree. */
    public CompletionTargets {
        int m = rows.length;
        if (labels.length != m || sequences.length != m || ordinals.length != m || (weights != null && weights.length != m)) {
            throw new IllegalArgumentException("rows, labels, sequences, ordinals and weights must have one entry per completion token");
        }
    }

    /**
     * One sequence per row: the completion tokens of row {@code n} are where {@code
     * completionMask[n][t] != 0}, each predicted by the hidden state at {@code t - 1}.
     *
     * @param ids token ids {@code [N][T]}
     * @param completionMask 1 on completion tokens {@code [N][T]}
     * @return the targets, sequence {@code n} for row {@code n}
     */
    public static CompletionTargets fromCompletionMask(long[][] ids, long[][] completionMask) {
        Builder b = new Builder(ids.length);
        for (int n = 0; n < ids.length; n++) {
            int t = ids[n].length;
            if (t > 0 && completionMask[n][0] != 0) {
                throw new IllegalArgumentException("sequence " + n + ": the first token cannot be a completion token (nothing predicts it)");
            }
            for (int i = 1; i < t; i++) {
                if (completionMask[n][i] != 0) {
                    b.add(n, (long) n * t + i - 1, ids[n][i]);
                }
            }
        }
        return b.build();
    }

    /** @return the number of completion tokens */
    public int size() {
        return rows.length;
    }

    /** @return the number of sequences {@code S} */
    public int sequenceCount() {
        return counts.length;
    }

    /**
     * A copy whose tokens carry weights in their sequences' sums.
     *
     * @param tokenWeights one weight per completion token
     * @return the weighted targets
     */
    public CompletionTargets withWeights(float[] tokenWeights) {
        return new CompletionTargets(rows, labels, sequences, ordinals, tokenWeights.clone(), counts);
    }

    /** Collects completion tokens sequence by sequence. */
    public static final class Builder {
        private final int[] counts;
        private long[] rows = new long[64];
        private long[] labels = new long[64];
        private int[] sequences = new int[64];
        private int[] ordinals = new int[64];
        private int size;

        /**
         * Starts the targets of {@code sequences} sequences.
         *
         * @param sequences {@code S}
         */
        public Builder(int sequences) {
            this.counts = new int[sequences];
        }

        /**
         * Adds the next completion token of a sequence.
         *
         * @param sequence the sequence
         * @param row flat index of the hidden state that predicts the token
         * @param label the token
         * @return this
         */
        public Builder add(int sequence, long row, long label) {
            if (size == rows.length) {
                int grown = size * 2;
                rows = Arrays.copyOf(rows, grown);
                labels = Arrays.copyOf(labels, grown);
                sequences = Arrays.copyOf(sequences, grown);
                ordinals = Arrays.copyOf(ordinals, grown);
            }
            rows[size] = row;
            labels[size] = label;
            sequences[size] = sequence;
            ordinals[size] = counts[sequence]++;
            size++;
            return this;
        }

        /**
         * Builds the targets.
         *
         * @return the targets
         */
        public CompletionTargets build() {
            return new CompletionTargets(Arrays.copyOf(rows, size), Arrays.copyOf(labels, size), Arrays.copyOf(sequences, size),
                    Arrays.copyOf(ordinals, size), null, counts.clone());
        }
    }

    /**
     * The indices of each sequence's tokens, in order.
     *
     * @return {@code [S][count]}: target indices of sequence {@code s}
     */
    int[][] tokensBySequence() {
        int[][] out = new int[sequenceCount()][];
        int[] fill = new int[sequenceCount()];
        for (int s = 0; s < out.length; s++) {
            out[s] = new int[counts()[s]];
        }
        for (int k = 0; k < size(); k++) {
            int s = sequences()[k];
            out[s][fill[s]++] = k;
        }
        return out;
    }
}
