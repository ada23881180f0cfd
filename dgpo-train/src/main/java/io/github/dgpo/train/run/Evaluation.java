package io.github.dgpo.train.run;

import java.util.Map;

/**
 * A loss's metrics on a set of examples, scored without gradient, and for pairs the per-pair
 * values the end-of-run finding compares.
 *
 * @param metrics means over the examples (unprefixed names)
 * @param countKey {@code pairs} or {@code examples}
 * @param count how many
 * @param perPair per-pair values, or null for unpaired examples
 */
public record Evaluation(Map<String, Double> metrics, String countKey, int count, PairValues perPair) {

    /**
     * Per-pair values, in the set's order.
     *
     * @param chosenAverage {@code A_w}: chosen per-token average log-probability
     * @param rejectedAverage {@code A_l}
     * @param chosenSum {@code S_w}
     * @param rejectedSum {@code S_l}
     * @param margins the loss's margin {@code z}
     */
    public record PairValues(double[] chosenAverage, double[] rejectedAverage, double[] chosenSum, double[] rejectedSum, double[] margins) {}
}
