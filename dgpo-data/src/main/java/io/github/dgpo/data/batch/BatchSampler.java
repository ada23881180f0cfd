package io.github.dgpo.data.batch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * The order of batches in each epoch, deterministic for a seed, so a run can resume at any
 * (epoch, batch) position. Optionally length-grouped: each epoch's shuffled order is cut into
 * windows of {@code 50} batches, sorted by length inside each window and cut into batches,
 * and the batches shuffled, which cuts padding while keeping the order random.
 */
public final class BatchSampler {

    /** Batches per sorting window when grouping by length. */
    public static final int GROUP_WINDOW = 50;

    private final int[] lengths;
    private final int batchSize;
    private final long seed;
    private final boolean groupByLength;

    /**
     * Creates a sampler.
     *
     * @param lengths length of each example (the longer row of a pair)
     * @param batchSize examples per batch
     * @param seed the seed
     * @param groupByLength whether to group similar lengths
     */
    public BatchSampler(int[] lengths, int batchSize, long seed, boolean groupByLength) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        this.lengths = lengths.clone();
        this.batchSize = batchSize;
        this.seed = seed;
        this.groupByLength = groupByLength;
    }

    /** @return batches per epoch (the last may be smaller) */
    public int batchesPerEpoch() {
        return (int) ((lengths.length + (long) batchSize - 1) / batchSize);
    }

    /**
     * The batches of an epoch, as example indices.
     *
     * @param epoch 0-based epoch
     * @return the batches in order
     */
    public List<int[]> epoch(int epoch) {
        Random random = new Random(seed * 31 + epoch);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < lengths.length; i++) {
            order.add(i);
        }
        Collections.shuffle(order, random);
        if (groupByLength) {
            // long: a batch size near Integer.MAX_VALUE (the whole data set) must not overflow
            long window = (long) batchSize * GROUP_WINDOW;
            for (long start = 0; start < order.size(); start += window) {
                List<Integer> part = order.subList((int) start, (int) Math.min(order.size(), start + window));
                part.sort(Comparator.comparingInt((Integer i) -> lengths[i]).reversed());
            }
        }
        List<int[]> batches = new ArrayList<>();
        for (long start = 0; start < order.size(); start += batchSize) {
            batches.add(order.subList((int) start, (int) Math.min(order.size(), start + batchSize)).stream().mapToInt(Integer::intValue).toArray());
        }
        if (groupByLength) {
            Collections.shuffle(batches, random);
        }
        return batches;
    }

    /**
     * The batches of an epoch from a position on (resuming).
     *
     * @param epoch 0-based epoch
     * @param position index of the first batch to return
     * @return the remaining batches
     */
    public List<int[]> epochFrom(int epoch, int position) {
        List<int[]> all = epoch(epoch);
        return all.subList(Math.min(position, all.size()), all.size());
    }

    @Override
    public String toString() {
        return "BatchSampler(n=" + lengths.length + ", batch=" + batchSize + ", seed=" + seed + ", group=" + groupByLength + ", lengths=" + Arrays.stream(lengths).summaryStatistics() + ")";
    }
}
