package io.github.dgpo.train.plot;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.dgpo.train.run.MetricsLog;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The curves that show what a run did, drawn from {@code metrics.jsonl} into {@code
 * plots/}: chosen and rejected per-token log-probabilities on one chart (the DGPO paper's
 * Figures 1 and 2: bold on the fixed probe pairs and the held-out pairs, the same pairs at every
 * point; the per-batch means, which move with each batch's pairs, as a light background),
 * reward margin, accuracy, loss and {@code d_w/d_l}; and a chart comparing the chosen
 * log-probabilities of several runs.
 */
public final class TrainingPlots {

    /**
     * One curve: a metric, its legend, and whether it is background (thin, light).
     *
     * @param metric the metrics.jsonl key
     * @param label the legend
     * @param background whether to draw it light
     */
    public record Curve(String metric, String label, boolean background) {
        static Curve of(String metric) {
            return new Curve(metric, metric, false);
        }
    }

    /** Charts written for a run: file name to the curves drawn on it. */
    public static final Map<String, List<Curve>> CHARTS = new LinkedHashMap<>();

    static {
        CHARTS.put("logps.png", List.of(
                new Curve("probe/logps_avg/chosen", "chosen (training probe pairs)", false),
                new Curve("probe/logps_avg/rejected", "rejected (training probe pairs)", false),
                new Curve("eval_logps_avg/chosen", "chosen (held-out pairs)", false),
                new Curve("eval_logps_avg/rejected", "rejected (held-out pairs)", false),
                new Curve("logps_avg/chosen", "chosen (each logging window's batches)", true),
                new Curve("logps_avg/rejected", "rejected (each logging window's batches)", true)));
        CHARTS.put("margins.png", List.of(Curve.of("rewards/margins"), Curve.of("eval_rewards/margins"), Curve.of("probe/rewards/margins")));
        CHARTS.put("accuracy.png", List.of(Curve.of("rewards/accuracies"), Curve.of("eval_rewards/accuracies")));
        CHARTS.put("loss.png", List.of(Curve.of("loss"), Curve.of("eval_loss")));
        CHARTS.put("dw_dl.png", List.of(Curve.of("d_w/d_l")));
    }

    private TrainingPlots() {}

    /**
     * Draws a run's charts.
     *
     * @param runDir the run folder
     * @return the PNG files written
     * @throws IOException if metrics cannot be read or charts written
     */
    public static List<Path> write(Path runDir) throws IOException {
        List<JsonNode> lines = MetricsLog.read(runDir);
        if (lines.isEmpty()) {
            throw new IOException(runDir + ": no " + MetricsLog.FILE + " to plot");
        }
        Path dir = runDir.resolve("plots");
        Files.createDirectories(dir);
        List<Path> out = new ArrayList<>();
        for (Map.Entry<String, List<Curve>> chart : CHARTS.entrySet()) {
            XYSeriesCollection data = new XYSeriesCollection();
            List<Boolean> background = new ArrayList<>();
            for (Curve c : chart.getValue()) {
                XYSeries s = series(c.label(), lines, c.metric());
                if (s.getItemCount() > 0) {
                    data.addSeries(s);
                    background.add(c.background());
                }
            }
            if (data.getSeriesCount() == 0) {
                continue;
            }
            String title = chart.getKey().equals("logps.png") ? "Chosen and rejected log-probabilities (per token)"
                    : String.join(", ", chart.getValue().stream().map(Curve::metric).toList());
            out.add(save(dir.resolve(chart.getKey()), chart(title, data, background)));
        }
        return out;
    }

    /**
     * One chart with the chosen per-token log-probability of several runs.
     *
     * @param runs label to run folder
     * @param png the file to write
     * @return the file
     * @throws IOException if a run cannot be read or the chart written
     */
    public static Path compareChosen(Map<String, Path> runs, Path png) throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Map.Entry<String, Path> run : runs.entrySet()) {
            List<JsonNode> lines = MetricsLog.read(run.getValue());
            boolean probes = lines.stream().anyMatch(l -> l.has("probe/logps_avg/chosen"));
            String prefix = probes ? "probe/" : "";
            data.addSeries(series(run.getKey() + " chosen", lines, prefix + "logps_avg/chosen"));
            data.addSeries(series(run.getKey() + " rejected", lines, prefix + "logps_avg/rejected"));
        }
        return save(png, chart("Chosen and rejected log-probabilities (per token) by loss", data, java.util.Collections.nCopies(data.getSeriesCount(), false)));
    }

    private static XYSeries series(String label, List<JsonNode> lines, String metric) {
        XYSeries s = new XYSeries(label);
        for (JsonNode l : lines) {
            JsonNode v = l.get(metric);
            if (v != null && v.isNumber() && l.has("step")) {
                s.add(l.get("step").asDouble(), v.asDouble());
            }
        }
        return s;
    }

    private static JFreeChart chart(String title, XYSeriesCollection data, List<Boolean> background) {
        JFreeChart chart = ChartFactory.createXYLineChart(title, "step", "value", data, PlotOrientation.VERTICAL, true, false, false);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        Color[] light = {new Color(31, 119, 180, 90), new Color(214, 39, 40, 90)};
        int bold = 0;
        int faint = 0;
        for (int i = 0; i < data.getSeriesCount(); i++) {
            if (background.get(i)) {
                r.setSeriesPaint(i, light[faint++ % light.length]);
                r.setSeriesStroke(i, new BasicStroke(1f));
                r.setSeriesShapesVisible(i, false);
            } else {
                r.setSeriesPaint(i, color(bold++));
                r.setSeriesStroke(i, new BasicStroke(2.5f));
            }
        }
        chart.getXYPlot().setRenderer(r);
        return style(chart);
    }

    /**
     * The charts' palette (matplotlib's first ten colours), cycled.
     *
     * @param i series index
     * @return its colour
     */
    public static Color color(int i) {
        return PALETTE[i % PALETTE.length];
    }

    private static final Color[] PALETTE = {new Color(31, 119, 180), new Color(214, 39, 40), new Color(44, 160, 44), new Color(255, 127, 14),
        new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194), new Color(127, 127, 127), new Color(188, 189, 34), new Color(23, 190, 207)};

    /**
     * The look every dgpo chart shares: white background, light grid, a value axis fitted to
     * the data rather than to zero.
     *
     * @param chart an XY chart
     * @return the chart
     */
    public static JFreeChart style(JFreeChart chart) {
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        ((org.jfree.chart.axis.NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    /**
     * Writes a chart as a 900x560 PNG, atomically.
     *
     * @param png the file
     * @param chart the chart
     * @return the file
     * @throws IOException if it cannot be written
     */
    public static Path save(Path png, JFreeChart chart) throws IOException {
        Path tmp = png.resolveSibling(png.getFileName() + ".tmp");
        ChartUtils.saveChartAsPNG(tmp.toFile(), chart, 900, 560);
        Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return png;
    }
}
