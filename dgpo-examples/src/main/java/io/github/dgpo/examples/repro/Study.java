package io.github.dgpo.examples.repro;

import io.github.dgpo.data.DataFormat;
import io.github.dgpo.data.DataInspector;
import io.github.dgpo.data.Datasets;
import io.github.dgpo.data.tokenize.TokenizeOptions;
import io.github.dgpo.train.config.ConfigLoader;
import io.github.dgpo.train.config.TrainConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The small-scale reproduction of the DGPO paper's training-dynamics claims (issue 11), for each
 * dataset: an SFT start, then from it (1) the nine losses with the paper's Table 6
 * hyperparameters and one learning rate, over several seeds; (2) DGPO's β sweep (Figure 7); (3)
 * {@code dgpo-kl} with both, the forward or the reverse divergence (Table 5's ablation); (4) DGPO
 * against DPO with a live reference, step time and peak memory (Figure 3); (5) the
 * gradient-entanglement probe on DPO and DGPO, and both again on low-similarity pairs (§2.3).
 * Writes every run under the output folder, the charts and {@code summary.md}.
 */
public final class Study {

    /** The nine losses, in the order of the issue. */
    public static final List<String> LOSSES = List.of("dpo", "dgpo", "simpo", "ipo", "cpo", "kto", "orpo", "rrhf", "slic-hf");

    /** DGPO's β values of the paper's Figure 7. */
    public static final List<Double> BETAS = List.of(1.0, 2.0, 2.5, 3.0);

    /** {@code kl_terms} of the ablation. */
    public static final List<String> KL_TERMS = List.of("both", "forward", "reverse");

    /** The paper config whose Table 6 hyperparameters every run uses. */
    static final String PAPER_CONFIGS = "configs/paper/mistral-7b-instruct-v0.2/";

    /**
     * What to run.
     *
     * @param scale the sizes
     * @param output the output folder
     * @param docs a folder the charts are copied to (null: none)
     * @param reuse take back runs already done from the same inputs
     * @param threads PyTorch intra-op threads (recorded, and given to the benchmark processes)
     * @param datasets the datasets
     */
    public record Settings(StudyScale scale, Path output, Path docs, boolean reuse, int threads, List<StudyDataset> datasets) {}

    /**
     * One dataset's results.
     *
     * @param dataset the dataset
     * @param similarity mean token Jaccard similarity of chosen and rejected: training pairs, low-similarity training pairs, held-out pairs
     * @param sftTrain the SFT model on its training pairs
     * @param sftHeldOut the SFT model on the held-out pairs
     * @param runs every run (SFT first)
     * @param bench the benchmark measurements
     * @param prefConfig the preference config as the runs resolved it (without the loss)
     */
    public record DatasetResult(StudyDataset dataset, Map<String, Double> similarity, HeldOutScorer.HeldOut sftTrain, HeldOutScorer.HeldOut sftHeldOut,
            List<RunRecord> runs, List<BenchRunner.Measurement> bench, TrainConfig prefConfig) {}

    /**
     * What the study did.
     *
     * @param settings what was asked
     * @param datasets per dataset
     * @param wallSeconds wall time of the whole study
     * @param cpuSeconds CPU time of this process and its benchmark processes
     * @param load1 the 1-minute load average sampled at every run's start and end
     * @param summary the markdown summary
     * @param charts the PNG charts
     */
    public record Result(Settings settings, List<DatasetResult> datasets, double wallSeconds, double cpuSeconds, List<Double> load1, Path summary,
            List<Path> charts) {}

    private final Settings settings;
    private final PrintStream log;
    private final StudyRunner runner;
    private final List<Double> loads = new ArrayList<>();

    private Study(Settings settings, Path repoRoot, PrintStream log) {
        this.settings = settings;
        this.log = log;
        this.runner = new StudyRunner(repoRoot, settings.reuse(), log);
    }

    /**
     * Runs the study.
     *
     * @param settings what to run
     * @param repoRoot the repository
     * @param log where progress goes
     * @return what it did
     * @throws IOException if a file cannot be read or written
     */
    public static Result run(Settings settings, Path repoRoot, PrintStream log) throws IOException {
        return new Study(settings, repoRoot, log).run();
    }

    private Result run() throws IOException {
        long t0 = System.nanoTime();
        double cpu0 = CpuClock.processSeconds() + CpuClock.childrenSeconds();
        Files.createDirectories(settings.output());
        List<DatasetResult> results = new ArrayList<>();
        for (StudyDataset d : settings.datasets()) {
            results.add(dataset(d));
        }
        Path chartDir = settings.output().resolve("plots");
        long tc = System.nanoTime();
        RunMetrics metrics = new RunMetrics();
        List<Path> charts = StudyPlots.write(results, settings.output(), chartDir, metrics);
        log.printf("charts drawn in %.1f s%n", (System.nanoTime() - tc) / 1e9);
        if (settings.docs() != null) {
            Files.createDirectories(settings.docs());
            List<Path> copied = new ArrayList<>();
            for (Path c : charts) {
                copied.add(Files.copy(c, settings.docs().resolve(c.getFileName()), StandardCopyOption.REPLACE_EXISTING));
            }
            charts = copied;
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        double cpu = CpuClock.processSeconds() + CpuClock.childrenSeconds() - cpu0;
        Result partial = new Result(settings, results, wall, cpu, List.copyOf(loads), null, charts);
        Path summary = settings.output().resolve("summary.md");
        Files.writeString(summary, StudySummary.markdown(partial, runner, settings.docs() != null ? settings.docs().getParent() : settings.output(), metrics));
        StudyRunner.JSON.writeValue(settings.output().resolve("study.json").toFile(), partial);
        log.printf("study done in %.0f s (CPU %.0f s); summary %s%n", wall, cpu, summary);
        return new Result(settings, results, wall, cpu, List.copyOf(loads), summary, charts);
    }

    private DatasetResult dataset(StudyDataset d) throws IOException {
        StudyScale.Sizes sizes = d == StudyDataset.CONTROLLED ? settings.scale().controlled() : settings.scale().hh();
        Path root = runner.repoRoot();
        Path dir = settings.output().resolve(d.id());
        TrainConfig sftBase = ConfigLoader.load(root.resolve(d.sftConfig()), sizes.sftOverrides());
        Path tokenizer = root.resolve(sftBase.tokenizerNameOrPath);
        long t0 = System.nanoTime();
        log.printf("%s: writing the data%n", d.title());
        StudyDataset.Files files = d.prepare(root, tokenizer, settings.output().resolve("data"), sizes);
        Map<String, Double> similarity = new LinkedHashMap<>();
        TokenizeOptions options = new TokenizeOptions(sftBase.maxLength, 0);
        similarity.put("training", DataInspector.inspect(Datasets.Spec.of(DataFormat.JSONL, files.train()), tokenizer, options).jaccardMean());
        similarity.put("training, low similarity", DataInspector.inspect(Datasets.Spec.of(DataFormat.JSONL, files.lowSimilarityTrain()), tokenizer, options).jaccardMean());
        similarity.put("held-out", DataInspector.inspect(Datasets.Spec.of(DataFormat.JSONL, files.eval()), tokenizer, options).jaccardMean());

        log.printf("%s: data written and measured in %.1f s%n", d.title(), (System.nanoTime() - t0) / 1e9);
        Path sftDir = dir.resolve("sft");
        Map<String, Path> sftPaths = paths(tokenizer, files.train(), files.eval(), null, sftDir);
        RunRecord sft = train(new StudyRunner.Spec(d, "sft", "sft", d.sftConfig(), sftPaths, sizes.sftOverrides(), ""), sftDir, null);
        TrainConfig prefBase = ConfigLoader.load(root.resolve(d.prefConfig()), sizes.prefOverrides());
        List<RunRecord> runs = new ArrayList<>();
        runs.add(sft);
        HeldOutScorer.HeldOut sftTrain;
        HeldOutScorer.HeldOut sftHeldOut;
        try (HeldOutScorer scorer = new HeldOutScorer(tokenizer, prefBase.maxLength, files.train(), files.eval(), sftDir)) {
            sftTrain = scorer.sft(true);
            sftHeldOut = scorer.sft(false);
            log.printf("%s: SFT start: chosen %.3f, rejected %.3f per token on the training pairs (%.3f, %.3f held out); DGPO weight median %.3f%n", d.title(),
                    sftTrain.chosenAverage(), sftTrain.rejectedAverage(), sftHeldOut.chosenAverage(), sftHeldOut.rejectedAverage(), sftTrain.weight().median());
            String entangle = "entanglement_steps=" + prefBase.evalSteps;
            long first = settings.scale().seeds().get(0);
            for (String loss : LOSSES) {
                for (long seed : settings.scale().seeds()) {
                    List<String> o = new ArrayList<>(paperHyperparameters(loss));
                    o.add("seed=" + seed);
                    if (seed == first && (loss.equals("dpo") || loss.equals("dgpo"))) {
                        o.add(entangle);
                    }
                    runs.add(pref(d, "losses", loss + "-s" + seed, o, sizes, tokenizer, files.train(), files, sft, scorer, dir));
                }
            }
            if (sizes.sweeps()) {
                sweeps(d, sizes, tokenizer, files, sft, scorer, dir, prefBase, runs);
            }
        }
        List<BenchRunner.Measurement> bench = sizes.bench() ? bench(d, sizes, tokenizer, files, sftDir, dir) : List.of();
        return new DatasetResult(d, similarity, sftTrain, sftHeldOut, runs, bench, prefBase);
    }

    /** (2) the β sweep, (3) the {@code dgpo-kl} ablation, (5) the low-similarity control. */
    private void sweeps(StudyDataset d, StudyScale.Sizes sizes, Path tokenizer, StudyDataset.Files files, RunRecord sft, HeldOutScorer scorer, Path dir,
            TrainConfig prefBase, List<RunRecord> runs) throws IOException {
        String entangle = "entanglement_steps=" + prefBase.evalSteps;
        long first = settings.scale().seeds().get(0);
        for (double beta : BETAS) {
            for (long seed : settings.scale().sweepSeeds()) {
                if (beta == 2.5 && settings.scale().seeds().contains(seed)) {
                    continue; // the nine-loss comparison's DGPO run
                }
                List<String> o = List.of("loss_type=dgpo", "beta=" + beta, "seed=" + seed);
                runs.add(pref(d, "beta", "dgpo-beta" + fmt(beta) + "-s" + seed, o, sizes, tokenizer, files.train(), files, sft, scorer, dir));
            }
        }
        for (String terms : KL_TERMS) {
            for (long seed : settings.scale().sweepSeeds()) {
                List<String> o = List.of("loss_type=dgpo-kl", "beta=2.5", "kl_terms=" + terms, "adaptive_weight=true", "seed=" + seed);
                runs.add(pref(d, "kl", "dgpo-kl-" + terms + "-s" + seed, o, sizes, tokenizer, files.train(), files, sft, scorer, dir));
            }
        }
        for (String loss : List.of("dpo", "dgpo")) {
            for (long seed : settings.scale().sweepSeeds()) {
                List<String> o = new ArrayList<>(paperHyperparameters(loss));
                o.add("seed=" + seed);
                if (seed == first) {
                    o.add(entangle);
                }
                runs.add(pref(d, "control", "lowsim-" + loss + "-s" + seed, o, sizes, tokenizer, files.lowSimilarityTrain(), files, sft, scorer, dir));
            }
        }
    }

    private RunRecord pref(StudyDataset d, String group, String name, List<String> overrides, StudyScale.Sizes sizes, Path tokenizer, Path train,
            StudyDataset.Files files, RunRecord sft, HeldOutScorer scorer, Path dir) throws IOException {
        Path out = dir.resolve(name);
        Map<String, Path> p = paths(tokenizer, train, files.eval(), dir.resolve("sft"), out);
        p.put("ref_cache_dir", settings.output().resolve("ref-cache"));
        List<String> o = new ArrayList<>(overrides);
        o.addAll(sizes.prefOverrides());
        return train(new StudyRunner.Spec(d, group, name, d.prefConfig(), p, o, sft.key()), out, scorer);
    }

    private RunRecord train(StudyRunner.Spec spec, Path out, HeldOutScorer scorer) throws IOException {
        loads.add(CpuClock.load1());
        RunRecord r = runner.train(spec);
        if (r.heldOut() == null && scorer != null) {
            r = r.withHeldOut(scorer.heldOut(out));
        }
        StudyRunner.save(out, r);
        loads.add(CpuClock.load1());
        return r;
    }

    private List<BenchRunner.Measurement> bench(StudyDataset d, StudyScale.Sizes sizes, Path tokenizer, StudyDataset.Files files, Path sftDir, Path dir)
            throws IOException {
        BenchRunner bench = new BenchRunner(runner.repoRoot(), settings.threads());
        Map<String, Path> p = paths(tokenizer, files.train(), files.eval(), sftDir, null);
        List<String> abs = new ArrayList<>();
        List<String> shown = new ArrayList<>();
        TrainConfig base = ConfigLoader.load(runner.repoRoot().resolve(d.prefConfig()), List.of());
        p.forEach((k, v) -> {
            abs.add(k + "=" + v.toAbsolutePath().normalize());
            String rel = runner.relative(v);
            if (!rel.equals(StudyRunner.JSON.valueToTree(base).path(k).asText(null))) {
                shown.add(k + "=" + rel);
            }
        });
        Map<String, List<String>> losses = new LinkedHashMap<>();
        losses.put("dpo (live reference)", List.of("loss_type=dpo", "beta=0.01", "precompute_ref_log_probs=false"));
        losses.put("dgpo", List.of("loss_type=dgpo", "beta=2.5"));
        List<BenchRunner.Measurement> out = new ArrayList<>();
        Path saved = dir.resolve("bench.json");
        String key = String.join("\n", abs) + "\n" + losses + "\n" + sizes.prefOverrides() + "\n" + settings.scale() + "\n" + settings.threads();
        if (settings.reuse() && Files.exists(saved)) {
            com.fasterxml.jackson.databind.JsonNode old = StudyRunner.JSON.readTree(saved.toFile());
            if (key.equals(old.path("key").asText())) {
                log.printf("  bench: reused %s%n", saved);
                return List.of(StudyRunner.JSON.treeToValue(old.path("measurements"), BenchRunner.Measurement[].class));
            }
        }
        for (int repeat = 0; repeat < settings.scale().benchRepeats(); repeat++) {
            for (Map.Entry<String, List<String>> loss : losses.entrySet()) {
                List<String> o = new ArrayList<>(loss.getValue());
                o.addAll(sizes.prefOverrides());
                o.addAll(List.of("probe_pairs=0", "entanglement_steps=0"));
                List<String> all = new ArrayList<>(abs);
                all.addAll(o);
                List<String> show = new ArrayList<>(o);
                show.addAll(shown);
                loads.add(CpuClock.load1());
                long t0 = System.nanoTime();
                BenchRunner.Measurement m = bench.measure(d, loss.getKey(), repeat, d.prefConfig(), all, show, settings.scale().benchWarmup(),
                        settings.scale().benchSteps(), dir.resolve("bench-" + loss.getKey().split(" ")[0] + "-" + repeat + ".log"));
                loads.add(CpuClock.load1());
                log.printf("  bench %-22s %.3f s/step, peak RSS %.0f MB (load %.1f; %.1f s)%n", loss.getKey(), m.secondsPerStep(), m.peakRssMb(), m.load1Before(),
                        (System.nanoTime() - t0) / 1e9);
                out.add(m);
            }
        }
        com.fasterxml.jackson.databind.node.ObjectNode record = StudyRunner.JSON.createObjectNode();
        record.put("key", key);
        record.set("measurements", StudyRunner.JSON.valueToTree(out));
        StudyRunner.JSON.writeValue(saved.toFile(), record);
        return out;
    }

    /** The path keys of a run (null values left out). */
    private static Map<String, Path> paths(Path tokenizer, Path train, Path eval, Path model, Path out) {
        Map<String, Path> p = new LinkedHashMap<>();
        if (model != null) {
            p.put("model_name_or_path", model);
        }
        p.put("tokenizer_name_or_path", tokenizer);
        p.put("dataset_path", train);
        p.put("eval_dataset_path", eval);
        if (out != null) {
            p.put("output_dir", out);
        }
        return p;
    }

    /**
     * The DGPO paper's Table 6 hyperparameters of a loss as overrides, from {@code configs/paper/}
     * (with its choice of a precomputed reference).
     */
    private List<String> paperHyperparameters(String loss) throws IOException {
        TrainConfig paper = ConfigLoader.load(runner.repoRoot().resolve(PAPER_CONFIGS + loss + ".yaml"), List.of());
        List<String> o = new ArrayList<>();
        o.add("loss_type=" + loss);
        paper.lossHyperparameters().forEach((k, v) -> o.add(k + "=" + v));
        if (paper.loss().requiresReference()) {
            o.add("precompute_ref_log_probs=" + paper.precomputeRefLogProbs);
        }
        return o;
    }

    static String fmt(double beta) {
        return beta == Math.rint(beta) ? Long.toString((long) beta) : Double.toString(beta);
    }
}
