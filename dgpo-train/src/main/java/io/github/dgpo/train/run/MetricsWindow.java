package io.github.dgpo.train.run;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Averages per-micro-batch metrics over a logging window, weighting each micro-batch by its
 * number of pairs. A non-finite value is left out of its metric's mean, and so is its weight;
 * {@code d_w/d_l} is recomputed as the ratio of the window's mean {@code d_w} and {@code d_l}.
 */
final class MetricsWindow {

    private final Map<String, double[]> sums = new LinkedHashMap<>();
    private double weight;

    void add(Map<String, Double> metrics, double pairs) {
        metrics.forEach((k, v) -> {
            double[] s = sums.computeIfAbsent(k, x -> new double[2]);
            if (!k.equals("d_w/d_l") && Double.isFinite(v)) {
                s[0] += v * pairs;
                s[1] += pairs;
            }
        });
        weight += pairs;
    }

    boolean isEmpty() {
        return weight == 0;
    }

    Map<String, Double> means() {
        Map<String, Double> out = new LinkedHashMap<>();
        sums.forEach((k, s) -> out.put(k, s[1] == 0 ? Double.NaN : s[0] / s[1]));
        Double dw = out.get("d_w");
        Double dl = out.get("d_l");
        if (dw != null && dl != null) {
            out.put("d_w/d_l", dl == 0 ? Double.NaN : dw / dl);
        }
        return out;
    }

    void clear() {
        sums.clear();
        weight = 0;
    }
}
