package io.github.dgpo.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link FlopCount#visibleKeys} against a brute-force count over every query-key pair of {@link ModelInput#visible}. */
class FlopCountTest {

    @Test
    void visibleKeysEqualsTheBruteForceCount() {
        Random random = new Random(5);
        for (int trial = 0; trial < 200; trial++) {
            int rows = 1 + random.nextInt(4);
            int width = 1 + random.nextInt(40);
            long[][] ids = new long[rows][width];
            int[][] positions = new int[rows][width];
            int[][] branches = new int[rows][width];
            int[] lengths = new int[rows];
            for (int r = 0; r < rows; r++) {
                lengths[r] = random.nextInt(width + 1);
                for (int i = 0; i < width; i++) {
                    positions[r][i] = i == 0 ? 0 : positions[r][i - 1] + random.nextInt(2);
                    branches[r][i] = i == 0 ? 0 : random.nextInt(4);
                }
            }
            ModelInput input = new ModelInput(ids, positions, branches, lengths);
            for (int window : new int[] {0, 1, 3, 7}) {
                long brute = 0;
                for (int r = 0; r < rows; r++) {
                    for (int i = 0; i < lengths[r]; i++) {
                        for (int j = 0; j < width; j++) {
                            brute += input.visible(r, i, j, window) ? 1 : 0;
                        }
                    }
                }
                assertEquals(brute, FlopCount.visibleKeys(input, window), "trial " + trial + ", window " + window);
            }
        }
        // a shared-prompt row: prompt of 3, chosen of 2, rejected of 1: 1+2+3 + 4+5 + 4
        ModelInput shared = new ModelInput(new long[1][6], new int[][] {{0, 1, 2, 3, 4, 3}}, new int[][] {{0, 0, 0, 1, 1, 2}}, new int[] {6});
        assertEquals(19, FlopCount.visibleKeys(shared, 0));
        assertTrue(FlopCount.visibleKeys(shared, 2) < 19);
    }

    /** A negative branch would mean nothing to the count (or the mask): the rows refuse it. */
    @Test
    void negativeBranchesAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ModelInput(new long[1][3], new int[][] {{0, 1, 2}}, new int[][] {{0, 1, -1}}, new int[] {3}));
        assertEquals("row 0: branch -1 is negative (0 is shared, 1, 2, ... are branches)", e.getMessage());
    }
}
