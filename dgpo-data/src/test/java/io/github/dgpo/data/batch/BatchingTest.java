package io.github.dgpo.data.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dgpo.core.logprobs.CompletionTargets;
import io.github.dgpo.core.model.ModelInput;
import io.github.dgpo.data.PairSimilarity;
import io.github.dgpo.data.tokenize.TokenizedPair;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Row layouts, the batch sampler and pair similarity. */
class BatchingTest {

    @Test
    void separateLayoutStacksChosenThenRejectedRightPadded() {
        TokenizedPair a = new TokenizedPair(new long[] {1, 10, 11}, new long[] {20, 2}, new long[] {30, 31, 32, 2}, false, null);
        TokenizedPair b = new TokenizedPair(new long[] {1, 12}, new long[] {21, 22, 2}, new long[] {33, 2}, false, null);
        PackedBatch batch = RowLayout.separate(0).pairs(List.of(a, b));
        ModelInput in = batch.input();
        assertEquals(4, in.rows());
        assertEquals(2, batch.groups());
        assertEquals(7, in.width());
        assertArrayEquals(new long[] {1, 10, 11, 20, 2, 0, 0}, in.ids()[0]);
        assertArrayEquals(new long[] {1, 12, 21, 22, 2, 0, 0}, in.ids()[1]);
        assertArrayEquals(new long[] {1, 10, 11, 30, 31, 32, 2}, in.ids()[2]);
        assertArrayEquals(new long[] {1, 12, 33, 2, 0, 0, 0}, in.ids()[3]);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6}, in.positions()[0]);
        assertArrayEquals(new int[] {5, 5, 7, 4}, in.lengths());
        assertEquals(21, batch.tokenCounts().rows());
        assertEquals(21, batch.logicalTokens());
        assertEquals(new TokenCounts(21, 21, 4 * 7, 11), batch.tokenCounts(), "4 rows of width 7 hold 28 positions; 2+3+4+2 completion tokens");
        CompletionTargets t = batch.targets();
        assertArrayEquals(new int[] {2, 3, 4, 2}, t.counts(), "completion tokens per sequence, EOS included");
        assertArrayEquals(new long[] {2, 3, 7 + 1, 7 + 2, 7 + 3, 14 + 2, 14 + 3, 14 + 4, 14 + 5, 21 + 1, 21 + 2}, t.rows(), "each token predicted by the state before it");
        assertArrayEquals(new long[] {20, 2, 21, 22, 2, 30, 31, 32, 2, 33, 2}, t.labels());
        assertArrayEquals(new int[] {0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3}, t.sequences());
        assertArrayEquals(new int[] {0, 1, 0, 1, 2, 0, 1, 2, 3, 0, 1}, t.ordinals());
    }

    @Test
    void sharedLayoutPutsBothCompletionsInOneRowWithBranchesAndContinuedPositions() {
        TokenizedPair a = new TokenizedPair(new long[] {1, 10, 11}, new long[] {20, 2}, new long[] {30, 31, 32, 2}, false, null);
        TokenizedPair b = new TokenizedPair(new long[] {1, 12}, new long[] {21, 22, 2}, new long[] {33, 2}, false, null);
        PackedBatch batch = RowLayout.sharedPrompt(0).pairs(List.of(a, b));
        ModelInput in = batch.input();
        assertEquals(2, in.rows());
        assertEquals(9, in.width());
        assertArrayEquals(new long[] {1, 10, 11, 20, 2, 30, 31, 32, 2}, in.ids()[0]);
        assertArrayEquals(new long[] {1, 12, 21, 22, 2, 33, 2, 0, 0}, in.ids()[1]);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 3, 4, 5, 6}, in.positions()[0], "rejected positions continue from the prompt's end");
        assertArrayEquals(new int[] {0, 0, 0, 1, 1, 2, 2, 2, 2}, in.branches()[0]);
        assertArrayEquals(new int[] {9, 7}, in.lengths());
        assertEquals(16, batch.tokenCounts().rows());
        assertEquals(21, batch.logicalTokens(), "counted as the separate rows hold them");
        assertEquals(new TokenCounts(21, 16, 2 * 9, 11), batch.tokenCounts(), "2 rows of width 9");
        assertEquals(new TokenCounts(42, 37, 46, 22), batch.tokenCounts().plus(RowLayout.separate(0).pairs(List.of(a, b)).tokenCounts()));
        CompletionTargets t = batch.targets();
        assertArrayEquals(new int[] {2, 3, 4, 2}, t.counts());
        assertArrayEquals(new long[] {2, 3, 9 + 1, 9 + 2, 9 + 3, 2, 5, 6, 7, 9 + 1, 9 + 5}, t.rows(),
                "a rejected completion's first token is predicted by the prompt's last state, the rest by the rejected branch");
        assertArrayEquals(new long[] {20, 2, 21, 22, 2, 30, 31, 32, 2, 33, 2}, t.labels());
        assertArrayEquals(new int[] {0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3}, t.sequences());
        assertTrue(in.visible(0, 5, 2, 0), "rejected sees the prompt");
        assertFalse(in.visible(0, 5, 3, 0), "rejected does not see the chosen completion");
        assertTrue(in.visible(0, 6, 5, 0));
        assertFalse(in.visible(0, 4, 5, 0), "nothing sees the future");
        assertFalse(in.visible(1, 6, 7, 0));
        assertFalse(in.visible(0, 8, 0, 6), "a window of 6 on positions: position 6 sees positions 1..6");
        assertTrue(in.visible(0, 8, 1, 6));
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
