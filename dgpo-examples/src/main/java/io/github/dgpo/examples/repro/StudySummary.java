package io.github.dgpo.examples.repro;

import io.github.dgpo.train.config.TrainConfig;
import io.github.dgpo.train.run.PairChange;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The study's report as markdown: the setup and SFT start of each dataset, then one table per
 * question (the nine losses, the β sweep, the {@code dgpo-kl} ablation, the benchmark, the
 * entanglement probe and the low-similarity control), the cost, and every run with the command
 * that repeats it. Numbers only; reading them is left to {@code docs/reproduction.md}.
 */
final class StudySummary {

    private StudySummary() {}

    /**
     * Writes the report.
     *
     * @param r the study's result
     * @param runner the runner (for paths as the repository sees them)
     * @param linkBase the folder the markdown will live in (chart links are relative to it)
     * @param metrics the runs' metric logs
     * @return the markdown
     * @throws IOException if a run's metrics cannot be read
     */
    static String markdown(Study.Result r, StudyRunner runner, Path linkBase, RunMetrics metrics) throws IOException {
        StringBuilder md = new StringBuilder();
        Study.Settings s = r.settings();
        md.append("## Generated summary (`--scale ").append(s.scale().name()).append("`)\n\n");
        md.append(String.format(Locale.ROOT, "Command: `java -cp dgpo-train/target/dgpo.jar:dgpo-examples/target/classes io.github.dgpo.examples.Reproduction"
                + " --scale %s --output %s%s`. PyTorch intra-op threads: %d. Wall time %.1f min, CPU time %.1f min (this process and its benchmark"
                + " processes); 1-minute load average during the study: %s.%n%n", s.scale().name(), runner.relative(s.output()),
                s.docs() == null ? "" : " --docs " + runner.relative(s.docs()), s.threads(), r.wallSeconds() / 60, r.cpuSeconds() / 60, range(r.load1())));
        if (runner.reusedRuns() > 0) {
            md.append(String.format(Locale.ROOT, "%d runs were taken back from earlier processes (`--reuse`): the times above and in the cost table's last row"
                    + " are this process's only; each run's own time is in the tables.%n%n", runner.reusedRuns()));
        }
        for (Study.DatasetResult d : r.datasets()) {
            dataset(md, d, s, runner, linkBase, metrics);
        }
        cost(md, r);
        md.append("### Every run\n\n| dataset | run | seed | wall s | CPU s | load | command |\n| --- | --- | --- | --- | --- | --- | --- |\n");
        for (Study.DatasetResult d : r.datasets()) {
            for (RunRecord x : d.runs()) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %d | %.1f | %.1f | %.1f | `%s` |%n", d.dataset().id(), x.name(), x.seed(), x.wallSeconds(), x.cpuSeconds(),
                        x.load1Before(), x.command()));
            }
            for (BenchRunner.Measurement m : d.bench()) {
                md.append(String.format(Locale.ROOT, "| %s | bench %s #%d | %d | | | %.1f | `%s` |%n", d.dataset().id(), m.label(), m.repeat() + 1, d.prefConfig().seed,
                        m.load1Before(), m.command()));
            }
        }
        return md.toString();
    }

    private static void dataset(StringBuilder md, Study.DatasetResult d, Study.Settings s, StudyRunner runner, Path linkBase, RunMetrics metrics)
            throws IOException {
        String id = d.dataset().id();
        Path runs = s.output().resolve(id);
        RunRecord sft = d.runs().get(0);
        TrainConfig p = d.prefConfig();
        md.append("### ").append(d.dataset().title()).append("\n\n");
        md.append(String.format(Locale.ROOT, "Data: %d training pairs, %d held-out pairs; token Jaccard similarity of chosen and rejected: %s.%n%n",
                d.sftTrain().pairs(), d.sftHeldOut().pairs(),
                d.similarity().entrySet().stream().map(e -> String.format(Locale.ROOT, "%.3f (%s)", e.getValue(), e.getKey())).collect(Collectors.joining(", "))));
        md.append(String.format(Locale.ROOT, "SFT start (`%s`, %.0f s): per-token log-probability chosen %.3f, rejected %.3f on the training pairs; chosen %.3f,"
                + " rejected %.3f on the held-out pairs. DGPO's weight e^a + e^b: median %.3f (10%%-90%%: %.3f-%.3f, range %.3f-%.3f) on the training pairs,"
                + " median %.3f (%.3f-%.3f) held out.%n%n", sft.command(), sft.wallSeconds(), d.sftTrain().chosenAverage(), d.sftTrain().rejectedAverage(),
                d.sftHeldOut().chosenAverage(), d.sftHeldOut().rejectedAverage(), d.sftTrain().weight().median(), d.sftTrain().weight().p10(),
                d.sftTrain().weight().p90(), d.sftTrain().weight().min(), d.sftTrain().weight().max(), d.sftHeldOut().weight().median(),
                d.sftHeldOut().weight().p10(), d.sftHeldOut().weight().p90()));
        md.append(String.format(Locale.ROOT, "Preference runs (`%s`): learning rate %s for every loss (%s schedule, warmup %.2f), %d steps of %d pairs, every"
                + " training pair a probe pair, probes and held-out set scored every %d steps; seeds %s (the seed sets the batch order; the SFT start is"
                + " the same). Changes are from step 0 to the end, per pair, mean with a 95%% bootstrap interval over pairs (`run_info.json` `finding`)."
                + " Accuracies are on the held-out pairs at the end: S_w > S_l (sums), A_w > A_l (per-token averages), and against the SFT model"
                + " (log π/π_sft of chosen above rejected's).%n%n", d.dataset().prefConfig(), java.math.BigDecimal.valueOf(p.learningRate).stripTrailingZeros().toPlainString(), p.lrSchedulerType, p.warmupRatio, p.maxSteps,
                p.perDeviceTrainBatchSize * p.gradientAccumulationSteps, p.evalSteps, s.scale().seeds()));

        md.append("#### (1) Nine losses, Table 6 hyperparameters (Figures 1-2, Table 3)\n\n");
        md.append(image(linkBase, s, id + "-figures-1-2.png", "DPO and DGPO")).append(image(linkBase, s, id + "-losses-training.png", "nine losses, training pairs"))
                .append(image(linkBase, s, id + "-losses-heldout.png", "nine losses, held-out pairs")).append("\n");
        md.append("| loss | hyperparameters | chosen, training pairs | rejected, training pairs | chosen, held-out | rejected, held-out | acc S | acc A | acc vs SFT |\n");
        md.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (String loss : Study.LOSSES) {
            List<RunRecord> rs = d.runs().stream().filter(x -> x.group().equals("losses") && x.loss().equals(loss)).toList();
            if (rs.isEmpty()) {
                continue;
            }
            md.append("| ").append(loss).append(" | ").append(hp(rs.get(0))).append(" | ").append(change(rs, "chosen", false)).append(" | ")
                    .append(change(rs, "rejected", false)).append(" | ").append(change(rs, "chosen", true)).append(" | ").append(change(rs, "rejected", true))
                    .append(" | ").append(acc(rs, HeldOutScorer.HeldOut::accuracySum)).append(" | ").append(acc(rs, HeldOutScorer.HeldOut::accuracyAverage))
                    .append(" | ").append(acc(rs, HeldOutScorer.HeldOut::rewardAccuracy)).append(" |\n");
        }
        md.append("\nEach change: mean over seeds of the mean paired change; the verdicts (rose / fell / no clear change) of the seeds; the"
                + " range of the seeds' 95% intervals. The SFT model's own held-out accuracies: S ")
                .append(f3(d.sftHeldOut().accuracySum())).append(", A ").append(f3(d.sftHeldOut().accuracyAverage())).append(".\n\n");
        md.append("Chosen per-token log-probability by step (the paper's Table 3 form; mean over seeds):\n\n");
        stepTable(md, d, runs, List.of("dpo", "dgpo"), metrics);

        md.append("#### (2) DGPO's β (Figure 7)\n\n").append(image(linkBase, s, id + "-beta.png", "beta")).append("\n");
        md.append("| β | runs | held-out reward margin | training reward margin | held-out A_w - A_l | held-out reward accuracy | acc S | acc vs SFT"
                + " | chosen, training pairs | chosen, held-out | mean d_w/d_l | weight e^a + e^b, held-out, end |\n"
                + "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (double beta : Study.BETAS) {
            List<RunRecord> rs = StudyPlots.betaRuns(d, beta);
            if (rs.isEmpty()) {
                continue;
            }
            double ratio = 0;
            for (RunRecord x : rs) {
                ratio += avg(metrics.series(runs.resolve(x.name()), "d_w/d_l")) / rs.size();
            }
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", Study.fmt(beta), names(rs),
                    f3(metrics.mean(rs, runs, "eval_rewards/margins")),
                    f3(metrics.mean(rs, runs, "probe/rewards/margins")), f3(rs.stream().mapToDouble(x -> x.heldOut().chosenAverage() - x.heldOut().rejectedAverage())
                            .average().orElse(Double.NaN)), f3(metrics.mean(rs, runs, "eval_rewards/accuracies")), acc(rs, HeldOutScorer.HeldOut::accuracySum),
                    acc(rs, HeldOutScorer.HeldOut::rewardAccuracy), change(rs, "chosen", false), change(rs, "chosen", true), f3(ratio),
                    "median " + acc(rs, h -> h.weight().median()) + ", range " + acc(rs, h -> h.weight().min()) + "-" + acc(rs, h -> h.weight().max())));
        }
        md.append("\nmean d_w/d_l: the exact ratio of DGPO's gradients on the training batches (`d_w/d_l` metric), averaged over the logged steps."
                + " Weight quantities are means over the runs.\n");

        md.append("\n#### (3) `dgpo-kl`: both divergences, forward only, reverse only (Table 5's ablation)\n\n").append(image(linkBase, s, id + "-kl.png", "dgpo-kl"))
                .append("\n");
        md.append("Exact divergence-gap loss (Eq. 8-10) with the adaptive weight (Eq. 11), β 2.5; `dgpo` (Eq. 11 on log-probabilities) for comparison.\n\n");
        md.append("| run | chosen, training pairs | rejected, training pairs | chosen, held-out | acc S | acc vs SFT | last forward KL θ_w | last reverse KL θ_l |\n");
        md.append("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        List<RunRecord> kl = new ArrayList<>(d.runs().stream().filter(x -> x.group().equals("losses") && x.loss().equals("dgpo")).limit(1).toList());
        kl.addAll(d.runs().stream().filter(x -> x.group().equals("kl")).toList());
        for (RunRecord x : kl) {
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s |%n", x.name(), change(List.of(x), "chosen", false),
                    change(List.of(x), "rejected", false), change(List.of(x), "chosen", true), f3(x.heldOut().accuracySum()), f3(x.heldOut().rewardAccuracy()),
                    f3(metrics.last(runs.resolve(x.name()), "dgpo-kl/forward")), f3(metrics.last(runs.resolve(x.name()), "dgpo-kl/reverse"))));
        }

        bench(md, d);

        md.append("\n#### (5) Gradient entanglement, and the §2.3 low-similarity control\n\n").append(image(linkBase, s, id + "-entanglement.png", "entanglement"))
                .append(image(linkBase, s, id + "-control.png", "control")).append("\n");
        md.append("Probe every ").append(p.evalSteps).append(" steps on the first ").append(p.entanglementPairs)
                .append(" training pairs: cosine of ∇S_w and ∇S_l, the fraction where Eq. 6 lets log π_w rise, Eq. 4's first-order change of S_w for a"
                        + " gradient step on the pair's own loss, the first-order change ⟨∇S_w, Δθ⟩ of the update actually made, and the observed change"
                        + " (means over probe points and pairs).\n\n");
        md.append("| run | pairs | mean cos | cos first → last | Eq. 6 holds | Eq. 4 ΔS_w | ⟨∇S_w, Δθ⟩ | observed ΔS_w | chosen, training pairs | rejected,"
                + " training pairs | chosen, held-out |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (String group : List.of("losses", "control")) {
            for (String loss : List.of("dpo", "dgpo")) {
                Optional<RunRecord> x = d.runs().stream().filter(y -> y.group().equals(group) && y.loss().equals(loss)).findFirst();
                if (x.isEmpty()) {
                    continue;
                }
                Path run = runs.resolve(x.get().name());
                TreeMap<Double, Double> cos = metrics.series(run, "entanglement/cos");
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", x.get().name(), group.equals("losses") ? "similar" : "low similarity",
                        f3(avg(cos)), cos.isEmpty() ? "" : f3(cos.firstEntry().getValue()) + " → " + f3(cos.lastEntry().getValue()),
                        f3(avg(metrics.series(run, "entanglement/condition_holds"))), f4(avg(metrics.series(run, "entanglement/predicted_dlogp_w"))),
                        f4(avg(metrics.series(run, "entanglement/update_dlogp_w"))), f4(avg(metrics.series(run, "entanglement/observed_dlogp_w"))),
                        change(List.of(x.get()), "chosen", false), change(List.of(x.get()), "rejected", false), change(List.of(x.get()), "chosen", true)));
            }
        }
        md.append("\n");
    }

    private static void bench(StringBuilder md, Study.DatasetResult d) {
        md.append("\n#### (4) DGPO against DPO with a live reference: step time and peak memory (Figure 3)\n\n");
        if (d.bench().isEmpty()) {
            md.append("Not measured at this scale.\n");
            return;
        }
        md.append("`dgpo bench train` in a fresh JVM per measurement, measurements interleaved; peak resident memory of the whole process (JVM,"
                + " libtorch, models, optimizer state) during the timed steps.\n\n");
        md.append("| loss | repeat | s/step | peak RSS MB | tokens/s | load before | load after |\n| --- | --- | --- | --- | --- | --- | --- |\n");
        for (BenchRunner.Measurement m : d.bench()) {
            md.append(String.format(Locale.ROOT, "| %s | %d | %.4f | %.0f | %.0f | %.1f | %.1f |%n", m.label(), m.repeat() + 1, m.secondsPerStep(), m.peakRssMb(),
                    m.tokensPerSecond(), m.load1Before(), m.load1After()));
        }
        Optional<Double> dpoTime = best(d.bench(), "dpo", BenchRunner.Measurement::secondsPerStep);
        Optional<Double> dgpoTime = best(d.bench(), "dgpo", BenchRunner.Measurement::secondsPerStep);
        Optional<Double> dpoMem = best(d.bench(), "dpo", BenchRunner.Measurement::peakRssMb);
        Optional<Double> dgpoMem = best(d.bench(), "dgpo", BenchRunner.Measurement::peakRssMb);
        if (dpoTime.isPresent() && dgpoTime.isPresent()) {
            md.append(String.format(Locale.ROOT, "%nBest of the repeats: DGPO %.4f s/step against DPO's %.4f (%+.1f%%), peak RSS %.0f MB against %.0f (%+.1f%%)."
                    + " The paper: -25%% time, -13.6%% memory (Mistral 7B, 8 A800).%n", dgpoTime.get(), dpoTime.get(), 100 * (dgpoTime.get() / dpoTime.get() - 1),
                    dgpoMem.get(), dpoMem.get(), 100 * (dgpoMem.get() / dpoMem.get() - 1)));
        }
    }

    private static void stepTable(StringBuilder md, Study.DatasetResult d, Path runs, List<String> losses, RunMetrics metrics) throws IOException {
        TreeMap<Double, Map<String, List<Double>>> rows = new TreeMap<>();
        List<String> columns = new ArrayList<>();
        for (String loss : losses) {
            for (String set : List.of("probe/", "eval_")) {
                String col = loss + (set.equals("probe/") ? ", training" : ", held-out");
                columns.add(col);
                for (RunRecord x : d.runs().stream().filter(y -> y.group().equals("losses") && y.loss().equals(loss)).toList()) {
                    metrics.series(runs.resolve(x.name()), set + "logps_avg/chosen")
                            .forEach((step, v) -> rows.computeIfAbsent(step, k -> new java.util.LinkedHashMap<>()).computeIfAbsent(col, k -> new ArrayList<>()).add(v));
                }
            }
        }
        md.append("| step | ").append(String.join(" | ", columns)).append(" |\n|").append(" --- |".repeat(columns.size() + 1)).append("\n");
        rows.forEach((step, byCol) -> {
            md.append("| ").append((long) step.doubleValue());
            for (String col : columns) {
                List<Double> v = byCol.get(col);
                md.append(" | ").append(v == null ? "" : f3(v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN)));
            }
            md.append(" |\n");
        });
        md.append("\n");
    }

    private static void cost(StringBuilder md, Study.Result r) {
        md.append("### Cost\n\n| dataset | group | runs | wall min | CPU min |\n| --- | --- | --- | --- | --- |\n");
        for (Study.DatasetResult d : r.datasets()) {
            Map<String, List<RunRecord>> groups = d.runs().stream().collect(Collectors.groupingBy(RunRecord::group, java.util.LinkedHashMap::new, Collectors.toList()));
            groups.forEach((g, rs) -> md.append(String.format(Locale.ROOT, "| %s | %s | %d | %.1f | %.1f |%n", d.dataset().id(), g, rs.size(),
                    rs.stream().mapToDouble(RunRecord::wallSeconds).sum() / 60, rs.stream().mapToDouble(RunRecord::cpuSeconds).sum() / 60)));
        }
        md.append(String.format(Locale.ROOT, "| all | (with data, scoring, benchmarks, charts) | | %.1f | %.1f |%n%n", r.wallSeconds() / 60, r.cpuSeconds() / 60));
    }

    private static String image(Path linkBase, Study.Settings s, String file, String alt) {
        Path png = (s.docs() != null ? s.docs() : s.output().resolve("plots")).resolve(file);
        return "![" + alt + "](" + linkBase.toAbsolutePath().normalize().relativize(png.toAbsolutePath().normalize()).toString().replace('\\', '/') + ")\n";
    }

    /** Mean over runs of a change, the runs' verdicts, and the range of their intervals. */
    static String change(List<RunRecord> rs, String side, boolean heldOut) {
        List<PairChange> cs = rs.stream().map(x -> x.change(side, heldOut)).flatMap(Optional::stream).toList();
        if (cs.isEmpty()) {
            return "";
        }
        double mean = cs.stream().mapToDouble(PairChange::meanChange).average().orElseThrow();
        Map<String, Long> verdicts = cs.stream().collect(Collectors.groupingBy(PairChange::verdict, java.util.LinkedHashMap::new, Collectors.counting()));
        String v = verdicts.entrySet().stream().map(e -> e.getKey() + (cs.size() > 1 ? " " + e.getValue() + "/" + cs.size() : "")).collect(Collectors.joining(", "));
        return String.format(Locale.ROOT, "%+.4f %s [%+.4f, %+.4f]", mean, v, cs.stream().mapToDouble(PairChange::low).min().orElseThrow(),
                cs.stream().mapToDouble(PairChange::high).max().orElseThrow());
    }

    private static String acc(List<RunRecord> rs, Function<HeldOutScorer.HeldOut, Double> f) {
        return f3(rs.stream().filter(x -> x.heldOut() != null).mapToDouble(x -> f.apply(x.heldOut())).average().orElse(Double.NaN));
    }

    private static String hp(RunRecord x) {
        return x.hyperparameters().entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    }

    private static String names(List<RunRecord> rs) {
        return rs.stream().map(RunRecord::name).collect(Collectors.joining(", "));
    }

    private static Optional<Double> best(List<BenchRunner.Measurement> ms, String loss, Function<BenchRunner.Measurement, Double> f) {
        return ms.stream().filter(m -> m.label().split(" ")[0].equals(loss)).map(f).min(Double::compare);
    }

    private static double avg(TreeMap<Double, Double> s) {
        return s.values().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    private static String range(List<Double> xs) {
        List<Double> v = xs.stream().filter(Double::isFinite).toList();
        if (v.isEmpty()) {
            return "unknown";
        }
        return String.format(Locale.ROOT, "mean %.1f, %.1f-%.1f", v.stream().mapToDouble(Double::doubleValue).average().orElseThrow(),
                v.stream().mapToDouble(Double::doubleValue).min().orElseThrow(), v.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
    }

    static String f3(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3f", v) : "n/a";
    }

    static String f4(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%+.4f", v) : "n/a";
    }
}
