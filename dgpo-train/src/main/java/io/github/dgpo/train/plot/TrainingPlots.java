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
 * Figures 1 and 2), reward margin, accuracy, loss and {@code d_w/d_l}; and a chart comparing
 * the chosen log-probabilities of several runs.
 */
public final class TrainingPlots {

    /** Charts written for a run: file name to the metrics drawn on it. */
    public static final Map<String, List<String>> CHARTS = new LinkedHashMap<>();

    static {
        CHARTS.put("logps.png", List.of("logps_avg/chosen", "logps_avg/rejected"));
        CHARTS.put("margins.png", List.of("rewards/margins", "eval_rewards/margins"));
        CHARTS.put("accuracy.png", List.of("rewards/accuracies", "eval_rewards/accuracies"));
        CHARTS.put("loss.png", List.of("loss", "eval_loss"));
        CHARTS.put("dw_dl.png", List.of("d_w/d_l"));
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
        for (Map.Entry<String, List<String>> chart : CHARTS.entrySet()) {
            XYSeriesCollection data = new XYSeriesCollection();
            for (String metric : chart.getValue()) {
                XYSeries s = series(metric, lines, metric);
                if (s.getItemCount() > 0) {
                    data.addSeries(s);
                }
            }
            if (data.getSeriesCount() == 0) {
                continue;
            }
            String title = chart.getKey().equals("logps.png") ? "Chosen and rejected log-probabilities (per token)" : String.join(", ", chart.getValue());
            out.add(save(dir.resolve(chart.getKey()), chart(title, data)));
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
            data.addSeries(series(run.getKey() + " chosen", MetricsLog.read(run.getValue()), "logps_avg/chosen"));
            data.addSeries(series(run.getKey() + " rejected", MetricsLog.read(run.getValue()), "logps_avg/rejected"));
        }
        return save(png, chart("Chosen and rejected log-probabilities (per token) by loss", data));
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

    private static JFreeChart chart(String title, XYSeriesCollection data) {
        JFreeChart chart = ChartFactory.createXYLineChart(title, "step", "value", data, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        Color[] colors = {new Color(31, 119, 180), new Color(214, 39, 40), new Color(44, 160, 44), new Color(255, 127, 14)};
        for (int i = 0; i < data.getSeriesCount(); i++) {
            r.setSeriesPaint(i, colors[i % colors.length]);
            r.setSeriesStroke(i, new BasicStroke(2f));
        }
        plot.setRenderer(r);
        ((org.jfree.chart.axis.NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    private static Path save(Path png, JFreeChart chart) throws IOException {
        Path tmp = png.resolveSibling(png.getFileName() + ".tmp");
        ChartUtils.saveChartAsPNG(tmp.toFile(), chart, 900, 560);
        Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return png;
    }
}
