package io.github.dgpo.train.run;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The mean paired change of a quantity measured on the same pairs at two moments (a run's step 0
 * and its end), with a 95% percentile-bootstrap interval over the pairs (seeded, so a rerun
 * reports the same interval), and what it says: {@code rose} when the whole interval is above 0,
 * {@code fell} when below, else {@code no clear change}.
 *
 * @param what the quantity, for messages
 * @param pairs how many pairs
 * @param before the mean at the start
 * @param after the mean at the end
 * @param meanChange the mean of the per-pair changes
 * @param low the interval's lower end
 * @param high the interval's upper end
 */
public record PairChange(String what, int pairs, double before, double after, double meanChange, double low, double high) {

    /** Bootstrap resamples. */
    public static final int RESAMPLES = 4000;

    /**
     * Measures the change.
     *
     * @param what the quantity
     * @param before per-pair values at the start
     * @param after per-pair values at the end (same pairs, same order)
     * @param seed the bootstrap's seed
     * @return the change
     */
    public static PairChange of(String what, double[] before, double[] after, long seed) {
        if (before.length != after.length || before.length == 0) {
            throw new IllegalArgumentException(what + ": need the same non-empty set of pairs at both moments");
        }
        int n = before.length;
        double[] d = new double[n];
        double b = 0;
        double a = 0;
        double mean = 0;
        for (int i = 0; i < n; i++) {
            d[i] = after[i] - before[i];
            b += before[i] / n;
            a += after[i] / n;
            mean += d[i] / n;
        }
        double[] means = new double[RESAMPLES];
        SplittableRandom r = new SplittableRandom(seed);
        for (int k = 0; k < RESAMPLES; k++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += d[r.nextInt(n)];
            }
            means[k] = s / n;
        }
        java.util.Arrays.sort(means);
        return new PairChange(what, n, b, a, mean, means[(int) Math.floor(0.025 * (RESAMPLES - 1))], means[(int) Math.ceil(0.975 * (RESAMPLES - 1))]);
    }

    /**
     * What a probe's change of per-token log-probability is called: written by the probes and
     * matched by who looks a change up, from this one place.
     *
     * @param side {@code chosen} or {@code rejected}
     * @param heldOut the held-out pairs, else the training probe pairs
     * @return the {@link #what()} of that change
     */
    public static String perTokenLogp(String side, boolean heldOut) {
        return "the " + side + " per-token log-probability of the " + (heldOut ? "held-out" : "training probe") + " pairs";
    }

    /** @return {@code rose}, {@code fell} or {@code no clear change} */
    public String verdict() {
        return low > 0 ? "rose" : high < 0 ? "fell" : "no clear change";
    }

    /** @return one sentence with the numbers */
    public String sentence() {
        String verb = low > 0 || high < 0 ? verdict() : "showed no clear change";
        return String.format(Locale.ROOT, "%s %s: %.4f -> %.4f, mean paired change %+.4f (95%% interval %+.4f to %+.4f, %d pairs)", what, verb, before, after, meanChange,
                low, high, pairs);
    }
}
