package io.github.dgpo.train.score;

import ai.djl.ndarray.NDManager;
import io.github.dgpo.data.batch.PackedBatch;

/**
 * Where reference log-probabilities come from: a frozen model scored live, sums computed once
 * before training, or nothing for reference-free losses.
 */
public interface Reference extends AutoCloseable {

    /** No reference: reference-free losses. */
    Reference NONE = new Reference() {
        @Override
        public float[] sums(PackedBatch batch, int[] keys, NDManager manager) {
            throw new IllegalStateException("this run has no reference model");
        }

        @Override
        public boolean live() {
            return false;
        }

        @Override
        public void close() {}
    };

    /**
     * Reference sums of every sequence of a batch of pairs.
     *
     * @param batch the pairs as laid out for the policy ({@code 2B} sequences)
     * @param keys the pairs' keys in the run's data (training pair {@code i} is {@code i},
     *     evaluation pair {@code j} is {@code trainSize + j}), or null for pairs that are not in
     *     the data (mismatched pairs, unpaired examples); only a live reference can score those
     * @param manager where the pass's temporaries live
     * @return one sum per sequence of the batch
     */
    float[] sums(PackedBatch batch, int[] keys, NDManager manager);

    /**
     * Returns whether the reference is a model in memory (so it can score any sequence).
     *
     * @return true for a live reference
     */
    boolean live();

    @Override
    void close();
}
