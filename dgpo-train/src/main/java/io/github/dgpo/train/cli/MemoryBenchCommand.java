package io.github.dgpo.train.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dgpo.train.bench.MemoryBenchmark;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dgpo bench memory}: full float32 fine-tuning against LoRA, a float16 base and checkpointing (docs/scaling.md). */
@Command(name = "memory", mixinStandardHelpOptions = true,
        description = "Seconds per training step and peak resident memory of each variant and loss, each in its own JVM, with the planner's prediction.")
public final class MemoryBenchCommand implements Callable<Integer> {

    @Option(names = "--variants", split = ",", defaultValue = "full-fp32,lora,lora-fp16-checkpointing",
            description = "full-fp32, full-fp32-checkpointing, lora, lora-checkpointing, lora-fp16, lora-fp16-checkpointing (default: ${DEFAULT-VALUE})")
    List<String> variants;

    @Option(names = "--losses", split = ",", defaultValue = "dgpo,dpo", description = "losses; dpo scores a live reference (default: ${DEFAULT-VALUE})")
    List<String> losses;

    @Option(names = "--layers", defaultValue = "24", description = "default: ${DEFAULT-VALUE} (Qwen2.5-0.5B)")
    int layers;

    @Option(names = "--hidden", defaultValue = "896", description = "default: ${DEFAULT-VALUE}")
    int hidden;

    @Option(names = "--intermediate", defaultValue = "4864", description = "default: ${DEFAULT-VALUE}")
    int intermediate;

    @Option(names = "--heads", defaultValue = "14", description = "default: ${DEFAULT-VALUE}")
    int heads;

    @Option(names = "--kv-heads", defaultValue = "2", description = "default: ${DEFAULT-VALUE}")
    int kvHeads;

    @Option(names = "--vocab", defaultValue = "151936", description = "default: ${DEFAULT-VALUE}")
    int vocab;

    @Option(names = "--pairs", defaultValue = "2", description = "pairs per step (default: ${DEFAULT-VALUE})")
    int pairs;

    @Option(names = "--tokens", defaultValue = "512", description = "tokens per row, half prompt, half completion (default: ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--steps", defaultValue = "2", description = "timed steps after one warm-up step (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--chunk-size", defaultValue = "256", description = "logits_chunk_size (default: ${DEFAULT-VALUE}, the trainer's default)")
    int chunkSize;

    @Option(names = "--lora-r", defaultValue = "16", description = "LoRA rank, alpha 2r, all-linear (default: ${DEFAULT-VALUE})")
    int loraR;

    @Option(names = "--heap-mb", defaultValue = "1024", description = "-Xmx of each case's JVM (default: ${DEFAULT-VALUE})")
    int heapMb;

    @Option(names = "--json", description = "one JSON object {cases: [...]}")
    boolean json;

    @Option(names = "--dry-run", description = "print the planner's prediction of each case without running it")
    boolean dryRun;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        MemoryBenchmark.Settings settings = new MemoryBenchmark.Settings(new MemoryBenchmark.Shape(layers, hidden, intermediate, heads, kvHeads, vocab), pairs, tokens, steps,
                chunkSize, loraR, heapMb);
        List<MemoryBenchmark.Variant> selected = variants.stream().map(MemoryBenchmark.Variant::of).toList();
        PrintWriter out = spec.commandLine().getOut();
        if (dryRun) {
            for (MemoryBenchmark.Variant v : selected) {
                for (String loss : losses) {
                    MemoryBenchmark.Case c = MemoryBenchmark.predict(settings, v, loss);
                    out.printf("%-26s %-5s predicted %8.0f MB (%s)%n", c.variant(), c.loss(), c.predictedPeakMb(), c.predictedPhase());
                }
            }
            return 0;
        }
        List<MemoryBenchmark.Case> cases = MemoryBenchmark.run(settings, selected, losses, json ? null : spec.commandLine().getErr());
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode root = mapper.createObjectNode();
            ArrayNode arr = root.putArray("cases");
            for (MemoryBenchmark.Case c : cases) {
                ObjectNode o = arr.addObject().put("variant", c.variant()).put("loss", c.loss()).put("seconds_per_step", c.secondsPerStep()).put("peak_rss_mb", c.peakRssMb())
                        .put("baseline_rss_mb", c.baselineRssMb()).put("predicted_peak_mb", c.predictedPeakMb()).put("predicted_phase", c.predictedPhase());
                if (c.error() != null) {
                    o.put("error", c.error());
                }
            }
            out.println(mapper.writeValueAsString(root));
            return 0;
        }
        out.printf("%d layers, hidden %d, MLP %d, %d/%d heads, vocabulary %d; %d pairs of %d tokens; chunk %d; LoRA r %d%n", layers, hidden, intermediate, heads, kvHeads,
                vocab, pairs, tokens, chunkSize, loraR);
        out.printf("%-26s %-5s %10s %12s %14s %8s%n", "variant", "loss", "s/step", "peak MB", "predicted MB", "pred/meas");
        for (MemoryBenchmark.Case c : cases) {
            out.printf("%-26s %-5s %10.2f %12.0f %14.0f %8.2f%s%n", c.variant(), c.loss(), c.secondsPerStep(), c.peakRssMb(), c.predictedPeakMb(),
                    c.predictedPeakMb() / c.peakRssMb(), c.error() == null ? "" : "  FAILED: " + c.error());
        }
        for (String loss : losses) {
            Optional<MemoryBenchmark.Case> full = find(cases, "full-fp32", loss);
            Optional<MemoryBenchmark.Case> lean = find(cases, "lora-fp16-checkpointing", loss);
            if (full.isPresent() && lean.isPresent()) {
                out.printf("%s: lora-fp16-checkpointing / full-fp32: memory %.2f (goal <= 0.30), time %.2f (goal <= 1.5)%n", loss,
                        lean.get().peakRssMb() / full.get().peakRssMb(), lean.get().secondsPerStep() / full.get().secondsPerStep());
            }
        }
        return 0;
    }

    private static Optional<MemoryBenchmark.Case> find(List<MemoryBenchmark.Case> cases, String variant, String loss) {
        return cases.stream().filter(c -> c.variant().equals(variant) && c.loss().equals(loss)).findFirst();
    }
}
