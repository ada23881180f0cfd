package io.github.dgpo.train.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Pair-weighted window means: a non-finite value leaves its metric's mean and weight alone; d_w/d_l is a ratio of means. */
class MetricsWindowTest {

    @Test
    void nonFiniteValuesDoNotBiasTheMean() {
        MetricsWindow w = new MetricsWindow();
        w.add(Map.of("loss", 1.0, "dgpo/paper_ratio_eq13", 2.0, "d_w", 1.0, "d_l", 2.0), 2);
        w.add(Map.of("loss", 4.0, "dgpo/paper_ratio_eq13", Double.NaN, "d_w", 3.0, "d_l", 2.0), 6);
        Map<String, Double> m = w.means();
        assertEquals((1.0 * 2 + 4.0 * 6) / 8, m.get("loss"), 1e-15);
        assertEquals(2.0, m.get("dgpo/paper_ratio_eq13"), 1e-15, "the NaN batch is left out with its weight, not counted as 0");
        assertEquals(((1.0 * 2 + 3.0 * 6) / 8) / 2.0, m.get("d_w/d_l"), 1e-15);
        MetricsWindow allBad = new MetricsWindow();
        allBad.add(Map.of("x", Double.POSITIVE_INFINITY), 3);
        assertTrue(Double.isNaN(allBad.means().get("x")), "no finite value: NaN, written as null");
    }
}
