package io.github.dgpo.examples.repro;

import io.github.dgpo.train.plot.TrainingPlots;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * The study's charts, drawn with the look of {@link TrainingPlots}: per dataset, the chosen and
 * rejected per-token log-probabilities of DPO and DGPO (the DGPO paper's Figures 1 and 2) and of
 * all nine losses, each as the mean over seeds with the seeds' range as a band; DGPO's β sweep
 * (Figure 7); the {@code dgpo-kl} ablation; the entanglement probe's cosine; and the §2.3
 * low-similarity control.
 */
final class StudyPlots {

    private static final Color CHOSEN = TrainingPlots.color(0);
    private static final Color REJECTED = TrainingPlots.color(1);
    private static final int PANEL_WIDTH = 520;
    private static final int PANEL_HEIGHT = 340;

    /** A curve over steps, from one or several runs (then drawn as their mean with their range). */
    private record Curve(String label, Color color, boolean dashed, List<Path> runs, String metric) {}

    private final RunMetrics metrics;

    private StudyPlots(RunMetrics metrics) {
        this.metrics = metrics;
    }

    /**
     * Draws every chart.
     *
     * @param results the datasets' results
     * @param output the study's output folder (runs are under {@code <dataset>/<name>})
     * @param dir where the PNGs go
     * @param metrics the runs' metric logs
     * @return the PNG files
     * @throws IOException if a run cannot be read or a chart written
     */
    static List<Path> write(List<Study.DatasetResult> results, Path output, Path dir, RunMetrics metrics) throws IOException {
        return new StudyPlots(metrics).draw(results, output, dir);
    }

    private List<Path> draw(List<Study.DatasetResult> results, Path output, Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> out = new ArrayList<>();
        for (Study.DatasetResult r : results) {
            String id = r.dataset().id();
            String title = r.dataset().title();
            Path runs = output.resolve(id);
            List<JFreeChart> fig12 = new ArrayList<>();
            for (String set : List.of("probe/", "eval_")) {
                for (String loss : List.of("dpo", "dgpo")) {
                    fig12.add(logps(loss.toUpperCase(java.util.Locale.ROOT) + ", " + (set.equals("probe/") ? "training pairs" : "held-out pairs"), set,
                            seedRuns(r, runs, "losses", loss)));
                }
            }
            shareRange(fig12.subList(0, 2));
            shareRange(fig12.subList(2, 4));
            out.add(grid(fig12, 2, dir.resolve(id + "-figures-1-2.png"), title + ": chosen and rejected log-probabilities per token (mean of seeds, band: range)"));
            for (String set : List.of("probe/", "eval_")) {
                List<JFreeChart> all = new ArrayList<>();
                for (String loss : Study.LOSSES) {
                    all.add(logps(loss, set, seedRuns(r, runs, "losses", loss)));
                }
                shareRange(all);
                String which = set.equals("probe/") ? "training" : "heldout";
                out.add(grid(all, 3, dir.resolve(id + "-losses-" + which + ".png"),
                        title + ": chosen and rejected log-probabilities per token, " + (set.equals("probe/") ? "training pairs" : "held-out pairs") + ", nine losses"));
            }
            out.add(grid(beta(r, runs), 2, dir.resolve(id + "-beta.png"), title + ": DGPO's β (Figure 7), at the end of training"));
            List<JFreeChart> kl = new ArrayList<>();
            kl.add(logps("dgpo (Eq. 11)", "probe/", firstSeedRun(r, runs, "losses", "dgpo")));
            for (String terms : Study.KL_TERMS) {
                kl.add(logps("dgpo-kl, " + terms, "probe/", r.runs().stream().filter(x -> x.group().equals("kl") && x.hyperparameters().get("kl_terms").equals(terms))
                        .limit(1).map(x -> runs.resolve(x.name())).toList()));
            }
            shareRange(kl);
            out.add(grid(kl, 2, dir.resolve(id + "-kl.png"), title + ": dgpo-kl ablation (Table 5), training pairs"));
            out.add(grid(List.of(entanglement(r, runs)), 1, dir.resolve(id + "-entanglement.png"), title + ": gradient entanglement (Eq. 4-7)"));
            List<JFreeChart> control = new ArrayList<>();
            for (String group : List.of("losses", "control")) {
                for (String loss : List.of("dpo", "dgpo")) {
                    control.add(logps(loss.toUpperCase(java.util.Locale.ROOT) + (group.equals("losses") ? ", similar pairs" : ", low-similarity pairs"), "probe/",
                            firstSeedRun(r, runs, group, loss)));
                }
            }
            shareRange(control);
            out.add(grid(control, 2, dir.resolve(id + "-control.png"), title + ": §2.3 control, training pairs"));
        }
        return out;
    }

    /** The runs of a loss in a group, one per seed. */
    private static List<Path> seedRuns(Study.DatasetResult r, Path runs, String group, String loss) {
        return r.runs().stream().filter(x -> x.group().equals(group) && x.loss().equals(loss)).map(x -> runs.resolve(x.name())).toList();
    }

    private static List<Path> firstSeedRun(Study.DatasetResult r, Path runs, String group, String loss) {
        List<Path> all = seedRuns(r, runs, group, loss);
        return all.isEmpty() ? List.of() : List.of(all.get(0));
    }

    /** Chosen and rejected per-token averages of a probe set ({@code probe/} or {@code eval_}). */
    private JFreeChart logps(String title, String set, List<Path> runs) throws IOException {
        return bands(title, "step", "log-probability per token", List.of(new Curve("chosen", CHOSEN, false, runs, set + "logps_avg/chosen"),
                new Curve("rejected", REJECTED, false, runs, set + "logps_avg/rejected")));
    }

    private JFreeChart entanglement(Study.DatasetResult r, Path runs) throws IOException {
        List<Curve> curves = new ArrayList<>();
        int i = 0;
        for (String group : List.of("losses", "control")) {
            for (String loss : List.of("dpo", "dgpo")) {
                curves.add(new Curve(loss.toUpperCase(java.util.Locale.ROOT) + (group.equals("losses") ? ", similar pairs" : ", low-similarity pairs"),
                        TrainingPlots.color(i++), group.equals("control"), firstSeedRun(r, runs, group, loss), "entanglement/cos"));
            }
        }
        return bands("cosine of ∇log π_w and ∇log π_l on probe pairs", "step", "cosine", curves);
    }

    /** Figure 7: margins and accuracies at the end against β. */
    private List<JFreeChart> beta(Study.DatasetResult r, Path runs) throws IOException {
        XYSeries heldOutMargin = new XYSeries("held-out reward margin βW(a-b)");
        XYSeries probeMargin = new XYSeries("training-pair reward margin");
        XYSeries logpMargin = new XYSeries("held-out a-b (per-token log-prob margin)");
        XYSeries lossAccuracy = new XYSeries("held-out reward accuracy (loss margin > 0)");
        XYSeries sumAccuracy = new XYSeries("held-out accuracy, S_w > S_l");
        XYSeries rewardAccuracy = new XYSeries("held-out accuracy against SFT, log π/π_sft");
        for (double beta : Study.BETAS) {
            List<RunRecord> at = betaRuns(r, beta);
            heldOutMargin.add(beta, metrics.mean(at, runs, "eval_rewards/margins"));
            probeMargin.add(beta, metrics.mean(at, runs, "probe/rewards/margins"));
            logpMargin.add(beta, at.stream().mapToDouble(x -> x.heldOut().chosenAverage() - x.heldOut().rejectedAverage()).average().orElse(Double.NaN));
            lossAccuracy.add(beta, metrics.mean(at, runs, "eval_rewards/accuracies"));
            sumAccuracy.add(beta, at.stream().mapToDouble(x -> x.heldOut().accuracySum()).average().orElse(Double.NaN));
            rewardAccuracy.add(beta, at.stream().mapToDouble(x -> x.heldOut().rewardAccuracy()).average().orElse(Double.NaN));
        }
        return List.of(lines("margins", "β", "margin", heldOutMargin, probeMargin, logpMargin),
                lines("accuracies", "β", "accuracy", lossAccuracy, sumAccuracy, rewardAccuracy));
    }

    /** DGPO runs at a β: the sweep's and, at 2.5, the nine-loss comparison's (seeds of the sweep only). */
    static List<RunRecord> betaRuns(Study.DatasetResult r, double beta) {
        List<RunRecord> sweep = r.runs().stream().filter(x -> x.group().equals("beta") && ((Number) x.hyperparameters().get("beta")).doubleValue() == beta).toList();
        if (!sweep.isEmpty() || beta != 2.5) {
            return sweep;
        }
        List<Long> seeds = r.runs().stream().filter(x -> x.group().equals("beta")).map(RunRecord::seed).distinct().toList();
        return r.runs().stream().filter(x -> x.group().equals("losses") && x.loss().equals("dgpo") && (seeds.isEmpty() || seeds.contains(x.seed()))).toList();
    }

    private JFreeChart bands(String title, String x, String y, List<Curve> curves) throws IOException {
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        List<Curve> drawn = new ArrayList<>();
        for (Curve c : curves) {
            TreeMap<Double, List<Double>> byStep = new TreeMap<>();
            for (Path run : c.runs()) {
                metrics.series(run, c.metric()).forEach((step, v) -> byStep.computeIfAbsent(step, k -> new ArrayList<>()).add(v));
            }
            YIntervalSeries s = new YIntervalSeries(c.label() + (c.runs().size() > 1 ? " (" + c.runs().size() + " seeds)" : ""));
            for (Map.Entry<Double, List<Double>> e : byStep.entrySet()) {
                List<Double> v = e.getValue();
                s.add(e.getKey(), v.stream().mapToDouble(Double::doubleValue).average().orElseThrow(), v.stream().mapToDouble(Double::doubleValue).min().orElseThrow(),
                        v.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
            }
            if (s.getItemCount() > 0) {
                data.addSeries(s);
                drawn.add(c);
            }
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, x, y, data, PlotOrientation.VERTICAL, true, false, false);
        DeviationRenderer r = new DeviationRenderer(true, true);
        for (int i = 0; i < drawn.size(); i++) {
            Color color = drawn.get(i).color();
            r.setSeriesPaint(i, color);
            r.setSeriesFillPaint(i, new Color(color.getRed(), color.getGreen(), color.getBlue(), 60));
            r.setSeriesStroke(i, drawn.get(i).dashed() ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f)
                    : new BasicStroke(2f));
        }
        r.setAlpha(0.25f);
        chart.getXYPlot().setRenderer(r);
        return small(TrainingPlots.style(chart));
    }

    private static JFreeChart lines(String title, String x, String y, XYSeries... series) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (XYSeries s : series) {
            data.addSeries(s);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, x, y, data, PlotOrientation.VERTICAL, true, false, false);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < series.length; i++) {
            r.setSeriesPaint(i, TrainingPlots.color(i));
            r.setSeriesStroke(i, new BasicStroke(2f));
        }
        chart.getXYPlot().setRenderer(r);
        return small(TrainingPlots.style(chart));
    }

    /** Gives charts one value range (the union of theirs), so that panels side by side compare. */
    private static void shareRange(List<JFreeChart> charts) {
        org.jfree.data.Range union = null;
        for (JFreeChart c : charts) {
            org.jfree.data.Range r = c.getXYPlot().getDataRange(c.getXYPlot().getRangeAxis());
            if (r != null) {
                union = union == null ? r : org.jfree.data.Range.combine(union, r);
            }
        }
        if (union == null) {
            return;
        }
        double pad = Math.max(1e-6, 0.05 * union.getLength());
        for (JFreeChart c : charts) {
            c.getXYPlot().getRangeAxis().setRange(union.getLowerBound() - pad, union.getUpperBound() + pad);
        }
    }

    private static JFreeChart small(JFreeChart chart) {
        chart.getTitle().setFont(chart.getTitle().getFont().deriveFont(13f));
        return chart;
    }

    /** Charts drawn side by side, {@code columns} per row, under a title, as one PNG. */
    private static Path grid(List<JFreeChart> charts, int columns, Path png, String title) throws IOException {
        int rows = (charts.size() + columns - 1) / columns;
        int top = 36;
        // a chart alone is drawn larger
        int width = charts.size() == 1 ? 900 : PANEL_WIDTH;
        int height = charts.size() == 1 ? 520 : PANEL_HEIGHT;
        BufferedImage img = new BufferedImage(columns * width, top + rows * height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.BLACK);
        g.setFont(new java.awt.Font("SansSerif", java.awt.Font.BOLD, 16));
        g.drawString(title, Math.max(4, (img.getWidth() - g.getFontMetrics().stringWidth(title)) / 2), top - 12);
        for (int i = 0; i < charts.size(); i++) {
            charts.get(i).draw(g, new Rectangle2D.Double((i % columns) * width, top + (i / columns) * height, width, height));
        }
        g.dispose();
        Path tmp = png.resolveSibling(png.getFileName() + ".tmp");
        ImageIO.write(img, "png", tmp.toFile());
        Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return png;
    }
}
