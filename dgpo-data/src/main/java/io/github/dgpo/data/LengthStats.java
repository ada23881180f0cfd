package io.github.dgpo.data;

import java.util.Arrays;

/**
 * Summary of token counts.
 *
 * @param mean the mean
 * @param p50 the median (nearest rank)
 * @param p95 the 95th percentile (nearest rank)
 * @param max the maximum
 */
public record LengthStats(double mean, long p50, long p95, long max) {

    /**
     * Summarises values.
     *
     * @param values token counts
     * @return the summary (zeros when empty)
     */
    public static LengthStats of(long[] values) {
        if (values.length == 0) {
            return new LengthStats(0, 0, 0, 0);
        }
        long[] v = values.clone();
        Arrays.sort(v);
        double mean = Arrays.stream(v).average().orElse(0);
        return new LengthStats(mean, rank(v, 0.5), rank(v, 0.95), v[v.length - 1]);
    }

    private static long rank(long[] sorted, double q) {
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
