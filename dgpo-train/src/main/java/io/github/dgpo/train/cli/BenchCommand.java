package io.github.dgpo.train.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ai.djl.ndarray.NDManager;
import io.github.dgpo.core.OfflineEngine;
import io.github.dgpo.train.bench.GemmRate;
import io.github.dgpo.train.bench.LogprobsBenchmark;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dgpo bench}: benchmarks (not tests); results are recorded in docs/performance.md and docs/scaling.md. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks.",
        subcommands = {BenchCommand.Logprobs.class, BenchCommand.Data.class, BenchCommand.Train.class, BenchCommand.Gemm.class, MemoryBenchCommand.class})
public final class BenchCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code dgpo bench logprobs}. */
    @Command(name = "logprobs", mixinStandardHelpOptions = true,
            description = "Naive vs chunked output head: time per forward+backward and peak extra resident memory.")
    public static final class Logprobs implements Callable<Integer> {
        @Option(names = "--batch", defaultValue = "8", description = "N (default: ${DEFAULT-VALUE})")
        int batch;

        @Option(names = "--seq-len", defaultValue = "512", description = "T (default: ${DEFAULT-VALUE})")
        int seqLen;

        @Option(names = "--hidden", defaultValue = "256", description = "hidden size (default: ${DEFAULT-VALUE})")
        int hidden;

        @Option(names = "--layers", defaultValue = "2", description = "layers (default: ${DEFAULT-VALUE})")
        int layers;

        @Option(names = "--vocab", split = ",", defaultValue = "32000,151936", description = "vocabulary sizes (default: ${DEFAULT-VALUE})")
        List<Integer> vocabs;

        @Option(names = "--chunk-size", defaultValue = "128", description = "completion positions per head chunk (default: ${DEFAULT-VALUE})")
        int chunkSize;

        @Option(names = "--repeats", defaultValue = "2", description = "timed runs per phase after one warm-up (default: ${DEFAULT-VALUE})")
        int repeats;

        @Option(names = "--json", description = "one JSON object {cases: [...]}")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            List<LogprobsBenchmark.Case> cases = LogprobsBenchmark.run(new LogprobsBenchmark.Settings(batch, seqLen, hidden, layers, vocabs, chunkSize, repeats));
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                ObjectMapper mapper = new ObjectMapper();
                ObjectNode root = mapper.createObjectNode();
                ArrayNode arr = root.putArray("cases");
                for (LogprobsBenchmark.Case c : cases) {
                    ObjectNode o = arr.addObject();
                    o.put("vocab", c.vocab());
                    phase(o.putObject("naive"), c.naive());
                    phase(o.putObject("chunked"), c.chunked());
                    phase(o.putObject("one_pass"), c.onePass());
                    o.put("max_abs_grad_diff", c.maxAbsGradDiff());
                    o.put("max_abs_one_pass_grad_diff", c.maxAbsOnePassGradDiff());
                }
                out.println(mapper.writeValueAsString(root));
            } else {
                out.printf("N=%d T=%d hidden=%d layers=%d chunk=%d (completion = second half of each row)%n", batch, seqLen, hidden, layers, chunkSize);
                out.printf("%-8s %-20s %-20s %-20s %-10s %-10s %-14s %s%n", "vocab", "naive s / peak MB", "chunked s / peak MB", "one-pass s / peak MB",
                        "head 2-pass", "head 1-pass", "max |grad diff|", "1-pass |diff|");
                for (LogprobsBenchmark.Case c : cases) {
                    out.printf("%-8d %-20s %-20s %-20s %-10.3f %-10.3f %-14.3g %.3g%n", c.vocab(),
                            String.format("%.3f / %.0f", c.naive().seconds(), c.naive().peakExtraMb()),
                            String.format("%.3f / %.0f", c.chunked().seconds(), c.chunked().peakExtraMb()),
                            String.format("%.3f / %.0f", c.onePass().seconds(), c.onePass().peakExtraMb()),
                            c.chunked().headSeconds(), c.onePass().headSeconds(), c.maxAbsGradDiff(), c.maxAbsOnePassGradDiff());
                }
            }
            return 0;
        }
    }

    private static void phase(ObjectNode o, LogprobsBenchmark.Phase p) {
        o.put("seconds", p.seconds()).put("peak_extra_mb", p.peakExtraMb());
        if (!Double.isNaN(p.headSeconds())) {
            o.put("head_seconds", p.headSeconds());
        }
    }

    /** {@code dgpo bench data}. */
    @Command(name = "data", mixinStandardHelpOptions = true,
            description = "Reading + tokenizing throughput (pairs per second), repeated to show JIT warm-up and steady state.")
    public static final class Data implements Callable<Integer> {
        @Option(names = "--format", defaultValue = "hh-rlhf", description = "default: ${DEFAULT-VALUE}")
        String format;

        @Option(names = "--path", defaultValue = "data/hh-rlhf/harmless-base-test.jsonl.gz", description = "default: ${DEFAULT-VALUE}")
        java.nio.file.Path path;

        @Option(names = "--tokenizer", defaultValue = "tokenizers/qwen3", description = "default: ${DEFAULT-VALUE}")
        java.nio.file.Path tokenizer;

        @Option(names = "--passes", defaultValue = "6", description = "default: ${DEFAULT-VALUE}")
        int passes;

        @Option(names = "--json", description = "one JSON object")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            var runs = io.github.dgpo.train.bench.DataBenchmark.run(io.github.dgpo.data.Datasets.Spec.of(io.github.dgpo.data.DataFormat.parse(format), path), tokenizer, passes);
            PrintWriter out = spec.commandLine().getOut();
            double best = runs.stream().mapToDouble(io.github.dgpo.train.bench.DataBenchmark.Pass::pairsPerSecond).max().orElse(0);
            if (json) {
                ObjectMapper mapper = new ObjectMapper();
                ObjectNode root = mapper.createObjectNode();
                ArrayNode arr = root.putArray("passes");
                runs.forEach(r -> arr.addObject().put("pairs", r.pairs()).put("seconds", r.seconds()).put("pairs_per_second", r.pairsPerSecond()));
                root.put("steady_pairs_per_second", best);
                out.println(mapper.writeValueAsString(root));
            } else {
                for (int i = 0; i < runs.size(); i++) {
                    out.printf("pass %d: %d pairs in %.3f s = %.0f pairs/s%n", i + 1, runs.get(i).pairs(), runs.get(i).seconds(), runs.get(i).pairsPerSecond());
                }
                out.printf("steady state (best pass): %.0f pairs/s%n", best);
            }
            return 0;
        }
    }

    /** {@code dgpo bench train}. */
    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "Trains a config for --warmup + --steps steps and reports step time, throughput, peak memory, model FLOPs utilisation and the time per phase.")
    public static final class Train implements Callable<Integer> {
        @Option(names = "--config", required = true, description = "YAML run config")
        java.nio.file.Path config;

        @Option(names = "--set", description = "override a config key: key=value (repeatable)")
        List<String> overrides = new java.util.ArrayList<>();

        @Option(names = "--steps", defaultValue = "5", description = "timed steps (default: ${DEFAULT-VALUE})")
        int steps;

        @Option(names = "--warmup", defaultValue = "2", description = "untimed steps first (default: ${DEFAULT-VALUE})")
        int warmup;

        @Option(names = "--json", description = "one JSON object")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            io.github.dgpo.train.bench.TrainBenchmark.Report r = io.github.dgpo.train.bench.TrainBenchmark.run(
                    new io.github.dgpo.train.bench.TrainBenchmark.Settings(config, overrides, warmup, steps));
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                ObjectMapper mapper = new ObjectMapper();
                ObjectNode root = mapper.createObjectNode();
                root.put("seconds_per_step", r.secondsPerStep());
                root.put("tokens_per_second", r.tokensPerSecond());
                root.put("pairs_per_second", r.pairsPerSecond());
                root.put("peak_rss_mb", r.peakRssMb());
                root.put("model_flops_per_token", r.modelFlopsPerToken());
                root.put("achieved_gflops", r.achievedGflops());
                root.put("gemm_gflops", r.gemmGflops());
                root.put("mfu", r.mfu());
                ObjectNode phases = root.putObject("seconds_per_step_by_phase");
                r.phases().forEach(phases::put);
                ObjectNode tokens = root.putObject("tokens_per_step");
                r.tokensPerStep().forEach(tokens::put);
                out.println(mapper.writeValueAsString(root));
            } else {
                out.printf("%.3f s/step, %.0f tokens/s, %.2f pairs/s, peak RSS %.0f MB%n", r.secondsPerStep(), r.tokensPerSecond(), r.pairsPerSecond(), r.peakRssMb());
                out.printf("%.3g FLOPs/token, %.1f GFLOP/s achieved, GEMM %.1f GFLOP/s, MFU %.1f%%%n", r.modelFlopsPerToken(), r.achievedGflops(), r.gemmGflops(), 100 * r.mfu());
                Map<String, Double> t = r.tokensPerStep();
                out.printf("tokens per step: %.0f logical, %.0f in the rows, %.0f padded positions, %.0f completion%n", t.get("logical"), t.get("rows"),
                        t.get("padded_rows"), t.get("completions"));
                r.phases().forEach((k, v) -> out.printf("  %-28s %.3f s/step (%.0f%%)%n", k, v, 100 * v / r.secondsPerStep()));
            }
            return 0;
        }
    }

    /** {@code dgpo bench gemm}. */
    @Command(name = "gemm", mixinStandardHelpOptions = true,
            description = "The dense float32 GEMM rate of this process (the MFU denominator), or the time of one product of a given shape.")
    public static final class Gemm implements Callable<Integer> {
        @Option(names = "--size", defaultValue = "2048", description = "square matrix side (default: ${DEFAULT-VALUE})")
        int size;

        @Option(names = "--shape", paramLabel = "MxKxN", description = "time [M x K]·[K x N] instead, e.g. 327x256x32000 (an output head)")
        String shape;

        @Option(names = "--repeats", defaultValue = "5", description = "timed products (default: ${DEFAULT-VALUE})")
        int repeats;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            int[] mkn = shape == null ? new int[] {size, size, size} : parseShape(shape);
            try (NDManager m = OfflineEngine.newManager()) {
                GemmRate.Product p = GemmRate.time(m, mkn[0], mkn[1], mkn[2], repeats);
                spec.commandLine().getOut().printf("%.1f GFLOP/s (float32, %dx%d times %dx%d: %.3f ms)%n", p.gflops(), p.m(), p.k(), p.k(), p.n(), p.seconds() * 1e3);
            }
            return 0;
        }

        private int[] parseShape(String text) {
            String[] parts = text.split("x", -1);
            int[] out = new int[3];
            try {
                if (parts.length != 3) {
                    throw new NumberFormatException();
                }
                for (int i = 0; i < 3; i++) {
                    out[i] = Integer.parseInt(parts[i].trim());
                }
            } catch (NumberFormatException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--shape must be MxKxN with three positive integers, e.g. 327x256x32000; got '" + text + "'");
            }
            return out;
        }
    }
}
