package io.github.dgpo.examples.repro;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.dgpo.train.run.MetricsLog;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The metric logs of finished runs, each read once however many charts and tables draw on it.
 * Use it once every run has finished: a run still training would be read as it stood.
 */
final class RunMetrics {

    private final Map<Path, List<JsonNode>> logs = new HashMap<>();

    /** A run's metric lines. */
    List<JsonNode> lines(Path run) throws IOException {
        List<JsonNode> lines = logs.get(run);
        if (lines == null) {
            lines = List.copyOf(MetricsLog.read(run));
            logs.put(run, lines);
        }
        return lines;
    }

    /** A metric's last value in a run, or NaN. */
    double last(Path run, String metric) throws IOException {
        double v = Double.NaN;
        for (JsonNode l : lines(run)) {
            if (l.has(metric) && l.get(metric).isNumber()) {
                v = l.get(metric).asDouble();
            }
        }
        return v;
    }

    /** A metric's values by step in a run. */
    TreeMap<Double, Double> series(Path run, String metric) throws IOException {
        TreeMap<Double, Double> out = new TreeMap<>();
        for (JsonNode l : lines(run)) {
            if (l.has(metric) && l.get(metric).isNumber() && l.has("step")) {
                out.put(l.get("step").asDouble(), l.get(metric).asDouble());
            }
        }
        return out;
    }

    /** The mean over runs (folders under {@code dir}) of a metric's last value, NaN when none has it. */
    double mean(List<RunRecord> runs, Path dir, String metric) throws IOException {
        double s = 0;
        int n = 0;
        for (RunRecord x : runs) {
            double v = last(dir.resolve(x.name()), metric);
            if (Double.isFinite(v)) {
                s += v;
                n++;
            }
        }
        return n == 0 ? Double.NaN : s / n;
    }
}
