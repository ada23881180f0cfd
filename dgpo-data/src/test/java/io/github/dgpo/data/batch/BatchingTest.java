package io.github.dgpo.data.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dgpo.data.PairSimilarity;
import io.github.dgpo.data.tokenize.TokenizedPair;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Collation, the batch sampler and pair similarity. */
class BatchingTest {

    @Test
    void pairsStackChosenThenRejectedRightPadded() {
        TokenizedPair a = new TokenizedPair(new long[] {1, 10, 11}, new long[] {20, 2}, new long[] {30, 31, 32, 2}, false, null);
        TokenizedPair b = new TokenizedPair(new long[] {1, 12}, new long[] {21, 22, 2}, new long[] {33, 2}, false, null);
        PaddedBatch batch = new Collator(0).pairs(List.of(a, b));
        assertEquals(4, batch.rows());
        assertEquals(2, batch.pairs());
        assertEquals(7, batch.width());
        assertArrayEquals(new long[] {1, 10, 11, 20, 2, 0, 0}, batch.inputIds()[0]);
        assertArrayEquals(new long[] {1, 12, 21, 22, 2, 0, 0}, batch.inputIds()[1]);
        assertArrayEquals(new long[] {1, 10, 11, 30, 31, 32, 2}, batch.inputIds()[2]);
        assertArrayEquals(new long[] {1, 12, 33, 2, 0, 0, 0}, batch.inputIds()[3]);
        assertArrayEquals(new long[] {1, 1, 1, 1, 1, 0, 0}, batch.attentionMask()[0]);
        assertArrayEquals(new long[] {0, 0, 0, 1, 1, 0, 0}, batch.completionMask()[0], "completion mask covers the EOS");
        assertArrayEquals(new long[] {0, 0, 1, 1, 0, 0, 0}, batch.completionMask()[3]);
        assertArrayEquals(new int[] {5, 5, 7, 4}, batch.lengths());
        assertEquals(21, batch.tokens());
    }

    @Test
    void samplerIsDeterministicResumableAndCoversEveryExample() {
        int[] lengths = new Random(1).ints(103, 5, 500).toArray();
        BatchSampler s = new BatchSampler(lengths, 8, 42, true);
        assertEquals(13, s.batchesPerEpoch());
        List<int[]> e0 = s.epoch(0);
        assertEquals(toString(e0), toString(new BatchSampler(lengths, 8, 42, true).epoch(0)));
        assertNotEquals(toString(e0), toString(s.epoch(1)), "each epoch has its own order");
        assertEquals(toString(e0.subList(5, 13)), toString(s.epochFrom(0, 5)));
        Set<Integer> seen = new HashSet<>();
        e0.forEach(b -> Arrays.stream(b).forEach(seen::add));
        assertEquals(103, seen.size());
        assertTrue(padding(new BatchSampler(lengths, 8, 42, true).epoch(0), lengths) < padding(new BatchSampler(lengths, 8, 42, false).epoch(0), lengths) / 2,
                "grouping by length cuts padding");
    }

    private static long padding(List<int[]> batches, int[] lengths) {
        long pad = 0;
        for (int[] b : batches) {
            int max = Arrays.stream(b).map(i -> lengths[i]).max().orElse(0);
            for (int i : b) {
                pad += max - lengths[i];
            }
        }
        return pad;
    }

    private static String toString(List<int[]> batches) {
        return batches.stream().map(Arrays::toString).toList().toString();
    }

    @Test
    void aBatchLargerThanTheDataIsOneBatchOfEverything() {
        int[] lengths = {5, 9, 2, 7, 3};
        for (int batch : new int[] {1_000_000_000, Integer.MAX_VALUE}) {
            for (boolean group : new boolean[] {true, false}) {
                BatchSampler s = new BatchSampler(lengths, batch, 3, group);
                assertEquals(1, s.batchesPerEpoch());
                List<int[]> epoch = s.epoch(0);
                assertEquals(1, epoch.size());
                int[] all = epoch.get(0).clone();
                Arrays.sort(all);
                assertArrayEquals(new int[] {0, 1, 2, 3, 4}, all);
            }
        }
    }

    @Test
    void similarity() {
        assertEquals(2.0 / 4, PairSimilarity.jaccard(new long[] {1, 2, 3}, new long[] {2, 3, 4}), 1e-15);
        assertEquals(1.0, PairSimilarity.jaccard(new long[] {5, 5}, new long[] {5}), 1e-15);
        assertEquals(2.0 / 3, PairSimilarity.commonPrefixFraction(new long[] {1, 2, 3, 4}, new long[] {1, 2, 9}), 1e-15);
        assertEquals(0.0, PairSimilarity.commonPrefixFraction(new long[] {}, new long[] {1}));
    }
}
