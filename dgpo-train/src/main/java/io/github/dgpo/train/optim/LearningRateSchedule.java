package io.github.dgpo.train.optim;

import java.util.Locale;

/**
 * Linear warmup over {@code ceil(warmup_ratio · total)} updates, then cosine, linear or constant,
 * with the values of HF's {@code get_*_schedule_with_warmup} (update {@code k} uses {@code
 * lr(k)}, so the first update of a warmed-up run has learning rate 0).
 */
public final class LearningRateSchedule {

    private final double peak;
    private final int warmup;
    private final int total;
    private final String type;

    /**
     * Creates the schedule.
     *
     * @param peak the peak learning rate
     * @param warmupRatio fraction of updates spent warming up
     * @param total total updates
     * @param type cosine, linear or constant
     */
    public LearningRateSchedule(double peak, double warmupRatio, int total, String type) {
        this.peak = peak;
        this.total = Math.max(1, total);
        this.warmup = (int) Math.ceil(warmupRatio * this.total);
        this.type = type.toLowerCase(Locale.ROOT);
    }

    /**
     * The learning rate of update {@code k}.
     *
     * @param k 0-based update index
     * @return the rate
     */
    public double at(int k) {
        if (k < warmup) {
            return peak * k / Math.max(1, warmup);
        }
        double progress = (k - warmup) / (double) Math.max(1, total - warmup);
        return switch (type) {
            case "cosine" -> peak * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
            case "linear" -> peak * Math.max(0, (total - k) / (double) Math.max(1, total - warmup));
            default -> peak;
        };
    }

    /** @return warmup updates */
    public int warmupSteps() {
        return warmup;
    }
}
