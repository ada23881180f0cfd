package io.github.dgpo.train.run;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Averages per-micro-batch metrics over a logging window, weighting each micro-batch by its
 * number of pairs; {@code d_w/d_l} is recomputed as the ratio of the window's mean {@code d_w}
 * and {@code d_l}.
 */
final class MetricsWindow {

    private final Map<String, Double> sums = new LinkedHashMap<>();
    private double weight;

    void add(Map<String, Double> metrics, double pairs) {
        metrics.forEach((k, v) -> {
            if (!k.equals("d_w/d_l") && Double.isFinite(v)) {
                sums.merge(k, v * pairs, Double::sum);
            }
        });
        weight += pairs;
    }

    boolean isEmpty() {
        return weight == 0;
    }

    Map<String, Double> means() {
        Map<String, Double> out = new LinkedHashMap<>();
        sums.forEach((k, v) -> out.put(k, v / weight));
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
