package io.github.dgpo.train.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dgpo.train.bench.LogprobsBenchmark;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dgpo bench}: benchmarks (not tests); results are recorded in docs/performance.md and docs/scaling.md. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks.",
        subcommands = {BenchCommand.Logprobs.class, BenchCommand.Data.class, MemoryBenchCommand.class})
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
                    o.putObject("naive").put("seconds", c.naive().seconds()).put("peak_extra_mb", c.naive().peakExtraMb());
                    o.putObject("chunked").put("seconds", c.chunked().seconds()).put("peak_extra_mb", c.chunked().peakExtraMb());
                    o.put("max_abs_grad_diff", c.maxAbsGradDiff());
                }
                out.println(mapper.writeValueAsString(root));
            } else {
                out.printf("N=%d T=%d hidden=%d layers=%d chunk=%d (completion = second half of each row)%n", batch, seqLen, hidden, layers, chunkSize);
                out.printf("%-8s %-22s %-22s %-12s %-12s %s%n", "vocab", "naive s / peak MB", "chunked s / peak MB", "time ratio", "mem ratio", "max |grad diff|");
                for (LogprobsBenchmark.Case c : cases) {
                    out.printf("%-8d %-22s %-22s %-12.3f %-12.3f %.3g%n", c.vocab(),
                            String.format("%.3f / %.0f", c.naive().seconds(), c.naive().peakExtraMb()),
                            String.format("%.3f / %.0f", c.chunked().seconds(), c.chunked().peakExtraMb()),
                            c.chunked().seconds() / c.naive().seconds(), c.chunked().peakExtraMb() / c.naive().peakExtraMb(), c.maxAbsGradDiff());
                }
            }
            return 0;
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
}
