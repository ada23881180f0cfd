package io.github.dgpo.data;

import java.util.HashSet;
import java.util.Set;

/**
 * How alike a pair's two completions are, at the token level (the DGPO paper, Section 2.3,
 * explains likelihood displacement by highly similar pairs): the Jaccard similarity of their
 * token-id sets, and the length of their common prefix as a fraction of the shorter one.
 */
public final class PairSimilarity {

    private PairSimilarity() {}

    /**
     * Jaccard similarity {@code |A ∩ B| / |A ∪ B|} of the two token-id sets.
     *
     * @param a chosen ids
     * @param b rejected ids
     * @return in [0, 1]; 1 for two empty sequences
     */
    public static double jaccard(long[] a, long[] b) {
        Set<Long> sa = new HashSet<>();
        for (long x : a) {
            sa.add(x);
        }
        Set<Long> sb = new HashSet<>();
        for (long x : b) {
            sb.add(x);
        }
        if (sa.isEmpty() && sb.isEmpty()) {
            return 1;
        }
        int inter = 0;
        for (Long x : sa) {
            if (sb.contains(x)) {
                inter++;
            }
        }
        return inter / (double) (sa.size() + sb.size() - inter);
    }

    /**
     * Common prefix length divided by the shorter length.
     *
     * @param a chosen ids
     * @param b rejected ids
     * @return in [0, 1]; 0 when one is empty
     */
    public static double commonPrefixFraction(long[] a, long[] b) {
        int n = Math.min(a.length, b.length);
        if (n == 0) {
            return 0;
        }
        int k = 0;
        while (k < n && a[k] == b[k]) {
            k++;
        }
        return k / (double) n;
    }
}
