package io.github.dgpo.losses;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The running mean of one number per batch (TRL's {@code RunningMoments} fed a scalar: every
 * batch counts once), kept in double precision.
 */
final class RunningMean implements LossState {

    private double mean;
    private double count;

    /**
     * Adds one batch's value.
     *
     * @param x the value
     * @return the mean including it
     */
    double update(double x) {
        count++;
        mean += (x - mean) / count;
        return mean;
    }

    /** @return the current mean (0 before the first batch) */
    double mean() {
        return mean;
    }

    /** {@code mean} and {@code count} (batches seen). */
    @Override
    public Map<String, Double> save() {
        Map<String, Double> saved = new LinkedHashMap<>();
        saved.put("mean", mean);
        saved.put("count", count);
        return saved;
    }

    @Override
    public void restore(Map<String, Double> saved) {
        Set<String> unknown = new TreeSet<>(saved.keySet());
        unknown.removeAll(Set.of("mean", "count"));
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("running mean state: unknown entries " + unknown + "; expected mean, count");
        }
        Double m = saved.get("mean");
        Double c = saved.get("count");
        if (m == null || c == null) {
            throw new IllegalArgumentException("running mean state: missing " + (m == null ? "mean" : "count"));
        }
        if (!Double.isFinite(m) || !(c >= 0) || c != Math.rint(c)) {
            throw new IllegalArgumentException("running mean state: mean must be finite and count a whole number >= 0, got mean=" + m + ", count=" + c);
        }
        mean = m;
        count = c;
    }
}
