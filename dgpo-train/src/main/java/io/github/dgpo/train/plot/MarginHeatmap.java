package io.github.dgpo.train.plot;

import ai.djl.ndarray.NDManager;
import io.github.dgpo.core.OfflineEngine;
import io.github.dgpo.losses.LossOutput;
import io.github.dgpo.losses.PairLogps;
import io.github.dgpo.losses.PreferenceLoss;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.DoubleBinaryOperator;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYPolygonAnnotation;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.DefaultXYZDataset;

/**
 * The picture of the DGPO paper's Section 3.2: {@code d_w/d_l} of a loss over the plane of
 * per-token averages {@code (log π_w, log π_l)} in {@code [-3, 0]²}, colour on a log10 scale
 * (red: the chosen log-probability rises more easily than the rejected one falls), with the
 * DGPO supported region {@code 0 > log π_w > log π_l > -1} outlined. Reference
 * log-probabilities are taken as 0, so for losses with a reference the axes are log-ratios.
 */
public final class MarginHeatmap {

    /** Cells per axis. */
    public static final int CELLS = 120;

    private static final double LOW = -3;
    private static final double LOG_RATIO_BOUND = 1;

    private final PreferenceLoss loss;
    private final int tokens;
    private final String diagnostic;
    private final DoubleBinaryOperator diagnosticFunction;

    /**
     * Creates the heatmap of a loss's exact {@code d_w/d_l}.
     *
     * @param loss the loss
     * @param tokens completion length of both responses (sums are averages times this)
     */
    public MarginHeatmap(PreferenceLoss loss, int tokens) {
        this(loss, tokens, null);
    }

    /**
     * Creates the heatmap of a loss's exact {@code d_w/d_l}, or of one of its named {@link
     * PreferenceLoss#diagnostics() diagnostics} (DGPO's {@code paper}: the Eq. 12-13 ratio).
     *
     * @param loss the loss (per-pair: a batch-dependent loss has no per-cell ratio)
     * @param tokens completion length of both responses
     * @param diagnostic the diagnostic's name, or null for the exact ratio
     */
    public MarginHeatmap(PreferenceLoss loss, int tokens, String diagnostic) {
        if (loss.batchDependent()) {
            throw new IllegalArgumentException("loss '" + loss.name() + "' depends on the whole batch, so d_w/d_l of one cell is not defined; the heatmap needs a per-pair loss");
        }
        this.diagnosticFunction = diagnostic == null ? null : loss.diagnostics().get(diagnostic);
        if (diagnostic != null && diagnosticFunction == null) {
            throw new IllegalArgumentException("loss '" + loss.name() + "' has no diagnostic '" + diagnostic + "'"
                    + (loss.diagnostics().isEmpty() ? " (it has none; use exact)" : "; it has: " + String.join(", ", new java.util.TreeSet<>(loss.diagnostics().keySet()))));
        }
        this.loss = loss;
        this.tokens = tokens;
        this.diagnostic = diagnostic;
    }

    /**
     * Computes {@code d_w/d_l} at the cell centres.
     *
     * @return rows {@code {log π_w, log π_l, d_w/d_l}} of length {@code CELLS²}
     */
    public double[][] ratios() {
        int n = CELLS * CELLS;
        double step = -LOW / CELLS;
        double[] aw = new double[n];
        double[] al = new double[n];
        double[] sw = new double[n];
        double[] sl = new double[n];
        double[] counts = new double[n];
        for (int i = 0; i < CELLS; i++) {
            for (int j = 0; j < CELLS; j++) {
                int k = i * CELLS + j;
                aw[k] = LOW + (i + 0.5) * step;
                al[k] = LOW + (j + 0.5) * step;
                sw[k] = aw[k] * tokens;
                sl[k] = al[k] * tokens;
                counts[k] = tokens;
            }
        }
        try (NDManager m = OfflineEngine.newManager()) {
            PairLogps logps = PairLogps.of(m.create(sw), m.create(sl), m.create(counts), m.create(counts));
            if (loss.requiresReference()) {
                logps = logps.withReference(m.create(new double[n]), m.create(new double[n]));
            }
            LossOutput out = loss.compute(logps);
            double[] dW = out.dW().toDoubleArray();
            double[] dL = out.dL().toDoubleArray();
            double[] ratio = new double[n];
            for (int k = 0; k < n; k++) {
                ratio[k] = diagnosticFunction != null ? diagnosticFunction.applyAsDouble(aw[k], al[k]) : dW[k] / dL[k];
            }
            return new double[][] {aw, al, ratio};
        }
    }

    /**
     * Renders the heatmap to a PNG, written atomically.
     *
     * @param png the file to write
     * @throws IOException if it cannot be written
     */
    public void write(Path png) throws IOException {
        double[][] grid = ratios();
        double[] log = new double[grid[2].length];
        for (int k = 0; k < log.length; k++) {
            double r = grid[2][k];
            log[k] = r > 0 && Double.isFinite(r) ? Math.log10(r) : Double.NaN;
        }
        DefaultXYZDataset data = new DefaultXYZDataset();
        data.addSeries("d_w/d_l", new double[][] {grid[0], grid[1], log});

        double step = -LOW / CELLS;
        XYBlockRenderer renderer = new XYBlockRenderer();
        renderer.setBlockWidth(step);
        renderer.setBlockHeight(step);
        DivergingPaintScale scale = new DivergingPaintScale(-LOG_RATIO_BOUND, LOG_RATIO_BOUND);
        renderer.setPaintScale(scale);

        NumberAxis x = new NumberAxis("log π_w (chosen, per-token average)");
        NumberAxis y = new NumberAxis("log π_l (rejected, per-token average)");
        x.setRange(LOW, 0);
        y.setRange(LOW, 0);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.LIGHT_GRAY);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        plot.addAnnotation(new XYPolygonAnnotation(
                new double[] {-1, -1, 0, -1, 0, 0},
                new BasicStroke(2.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f),
                Color.BLACK));
        XYTextAnnotation label = new XYTextAnnotation("DGPO supported region", -0.5, -1.12);
        label.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
        plot.addAnnotation(label);

        JFreeChart chart = new JFreeChart(
                loss.name() + (diagnostic != null ? ": diagnostic '" + diagnostic + "' (not the gradient's ratio)" : ": d_w/d_l over per-token log-probabilities"), JFreeChart.DEFAULT_TITLE_FONT, plot, false);
        chart.addSubtitle(new TextTitle(
                loss + ", n_w = n_l = " + tokens + (loss.requiresReference() ? ", reference log-probabilities 0" : "")
                        + "; grey: d_l = 0 or ratio undefined or not positive"));
        NumberAxis scaleAxis = new NumberAxis("log10(d_w/d_l)");
        scaleAxis.setRange(-LOG_RATIO_BOUND, LOG_RATIO_BOUND);
        PaintScaleLegend legend = new PaintScaleLegend(scale, scaleAxis);
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setMargin(4, 4, 40, 4);
        legend.setStripWidth(18);
        chart.addSubtitle(legend);
        chart.setBackgroundPaint(Color.WHITE);

        Path target = png.toAbsolutePath();
        Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".part");
        try {
            ChartUtils.saveChartAsPNG(tmp.toFile(), chart, 900, 760);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
