package io.github.dgpo.train.bench;

import ai.djl.ndarray.NDManager;
import io.github.dgpo.core.OfflineEngine;
import io.github.dgpo.core.util.ProcessMemory;
import io.github.dgpo.core.util.Profiler;
import io.github.dgpo.data.batch.TokenCounts;
import io.github.dgpo.train.config.ConfigLoader;
import io.github.dgpo.train.config.TrainConfig;
import io.github.dgpo.train.run.Checkpoints;
import io.github.dgpo.train.run.MicroBatch;
import io.github.dgpo.train.run.Trainer;
import io.github.dgpo.train.run.TrainingListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code dgpo bench train}: trains a config for a few warm-up steps, then times {@code N} steps
 * and reports throughput, peak memory and model FLOPs utilisation against the GEMM rate measured
 * in the same process, with the time per phase. Runs in a temporary output folder (no evaluation
 * or checkpoints during the timed steps).
 */
public final class TrainBenchmark {

    /**
     * What to run.
     *
     * @param config the run config
     * @param overrides {@code key=value} overrides
     * @param warmup untimed steps first
     * @param steps timed steps
     */
    public record Settings(Path config, List<String> overrides, int warmup, int steps) {}

    /**
     * What was measured.
     *
     * @param secondsPerStep wall seconds per timed step
     * @param tokensPerSecond real tokens of both completions' rows (counted as separate rows) per second
     * @param pairsPerSecond pairs (or examples) per second
     * @param peakRssMb peak resident memory during the timed steps
     * @param modelFlopsPerToken FLOPs the steps needed per counted token
     * @param achievedGflops needed FLOPs per second
     * @param gemmGflops the float32 GEMM rate of this process
     * @param mfu achieved over GEMM rate
     * @param phases seconds per step by phase ({@code other}: time outside every phase: the loss,
     *     host-device copies, bookkeeping)
     * @param tokensPerStep the timed steps' token counts per step (logical, in the policy's rows,
     *     padded positions, completion tokens), which explain a layout's cost
     */
    public record Report(double secondsPerStep, double tokensPerSecond, double pairsPerSecond, double peakRssMb, double modelFlopsPerToken,
            double achievedGflops, double gemmGflops, double mfu, Map<String, Double> phases, Map<String, Double> tokensPerStep) {}

    private TrainBenchmark() {}

    /**
     * Runs the benchmark.
     *
     * @param s what to run
     * @return the measurements
     * @throws IOException if the config or data cannot be read
     */
    public static Report run(Settings s) throws IOException {
        if (s.steps() < 1 || s.warmup() < 0) {
            throw new IllegalArgumentException("--steps must be >= 1 and --warmup >= 0");
        }
        OfflineEngine.configure();
        Path out = Files.createTempDirectory("dgpo-bench-train");
        try {
            List<String> overrides = new ArrayList<>(s.overrides());
            overrides.addAll(List.of("max_steps=" + (s.warmup() + s.steps()), "output_dir=" + out, "eval_steps=0", "save_steps=0", "logging_steps=1000000",
                    "plots=false", "progress_bar=false", "eval_fraction=0", "warmup_ratio=0"));
            overrides.add("eval_dataset_path=null");
            TrainConfig c = ConfigLoader.load(s.config(), overrides);
            double gemm;
            try (NDManager m = OfflineEngine.newManager()) {
                gemm = GemmRate.measure(m, 2048, 5);
            }
            Timer timer = new Timer(s.warmup());
            new Trainer(c, Trainer.Mode.OVERWRITE, null).withListener(timer).run();
            double seconds = timer.seconds;
            Map<String, Double> phases = new LinkedHashMap<>();
            timer.phases.forEach((k, v) -> phases.put(k, v / s.steps()));
            phases.put("other", (seconds - timer.phases.values().stream().mapToDouble(Double::doubleValue).sum()) / s.steps());
            double achieved = timer.flops / seconds / 1e9;
            TokenCounts t = timer.tokens;
            Map<String, Double> perStep = new LinkedHashMap<>();
            perStep.put("logical", t.logical() / (double) s.steps());
            perStep.put("rows", t.rows() / (double) s.steps());
            perStep.put("padded_rows", t.slots() / (double) s.steps());
            perStep.put("completions", t.completions() / (double) s.steps());
            return new Report(seconds / s.steps(), t.logical() / seconds, timer.examples / seconds, timer.peakMb, timer.flops / t.logical(), achieved, gemm,
                    achieved / gemm, phases, perStep);
        } finally {
            Checkpoints.deleteTree(out);
        }
    }

    /** Times the steps after the warm-up and collects their counts and phases. */
    private static final class Timer implements TrainingListener {
        private final int warmup;
        private Profiler profiler;
        private long start;
        private double seconds;
        private TokenCounts tokens = TokenCounts.ZERO;
        private long examples;
        private double flops;
        private double peakMb;
        private Map<String, Double> phases = Map.of();

        Timer(int warmup) {
            this.warmup = warmup;
        }

        @Override
        public void onTrainingBegin(RunContext run) {
            profiler = Profiler.start();
            if (warmup == 0) {
                begin();
            }
        }

        private void begin() {
            System.gc();
            ProcessMemory.resetPeak();
            profiler.reset();
            start = System.nanoTime();
        }

        @Override
        public void onStepEnd(StepRecord step) {
            if (step.step() == warmup) {
                begin();
                return;
            }
            if (step.step() > warmup) {
                for (MicroBatch m : step.micro()) {
                    tokens = tokens.plus(m.tokens());
                    examples += m.examples();
                    flops += m.flops();
                }
                seconds = (System.nanoTime() - start) / 1e9;
                peakMb = ProcessMemory.peakMb();
                phases = profiler.seconds();
            }
        }

        @Override
        public void onTrainingEnd(RunContext run) {
            Profiler.stop();
        }
    }
}
