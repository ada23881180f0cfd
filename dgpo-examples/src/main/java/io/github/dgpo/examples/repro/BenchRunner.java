package io.github.dgpo.examples.repro;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The DGPO paper's Figure 3 on the study's model: step time and peak memory of DGPO against DPO
 * with a live reference model, each measured by {@code dgpo bench train} in a fresh JVM (so no
 * earlier run of the study leaves memory or warm caches behind), with the machine's load before
 * and after.
 */
public final class BenchRunner {

    /**
     * One measurement.
     *
     * @param dataset the dataset
     * @param label {@code dgpo} or {@code dpo (live reference)}
     * @param repeat which repetition (0-based)
     * @param command the command that repeats it
     * @param secondsPerStep wall seconds per timed step
     * @param peakRssMb peak resident memory during the timed steps
     * @param tokensPerSecond tokens per second
     * @param load1Before the 1-minute load average before
     * @param load1After the 1-minute load average after
     */
    public record Measurement(String dataset, String label, int repeat, String command, double secondsPerStep, double peakRssMb, double tokensPerSecond,
            double load1Before, double load1After) {}

    private final Path repoRoot;
    private final int threads;

    /**
     * Creates the runner.
     *
     * @param repoRoot the repository
     * @param threads PyTorch intra-op threads of the measured process
     */
    BenchRunner(Path repoRoot, int threads) {
        this.repoRoot = repoRoot;
        this.threads = threads;
    }

    /**
     * Measures one loss.
     *
     * @param dataset the dataset
     * @param label the label
     * @param repeat the repetition
     * @param config the preference config, relative to the repository
     * @param overrides {@code key=value} overrides (absolute paths)
     * @param shown the overrides as the recorded command shows them
     * @param warmup untimed steps
     * @param steps timed steps
     * @param logFile where the process's log goes
     * @return the measurement
     * @throws IOException if the process fails
     */
    Measurement measure(StudyDataset dataset, String label, int repeat, String config, List<String> overrides, List<String> shown, int warmup, int steps,
            Path logFile) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Dai.djl.pytorch.num_threads=" + threads,
                "-cp", System.getProperty("java.class.path"), "io.github.dgpo.train.cli.DgpoCli", "bench", "train", "--config",
                repoRoot.resolve(config).toString(), "--json", "--warmup", Integer.toString(warmup), "--steps", Integer.toString(steps)));
        for (String o : overrides) {
            cmd.add("--set");
            cmd.add(o);
        }
        Files.createDirectories(logFile.toAbsolutePath().getParent());
        double load0 = CpuClock.load1();
        Process p = new ProcessBuilder(cmd).directory(repoRoot.toFile()).redirectError(logFile.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        int code;
        try {
            code = p.waitFor();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while benchmarking " + label, e);
        }
        String json = out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElse(null);
        if (code != 0 || json == null) {
            throw new IOException("bench train for " + label + " failed (exit " + code + "); its log is " + logFile);
        }
        JsonNode r = StudyRunner.JSON.readTree(json);
        String command = "java -jar dgpo-train/target/dgpo.jar bench train --config " + config + " --warmup " + warmup + " --steps " + steps
                + shown.stream().map(o -> " --set " + o).reduce("", String::concat);
        return new Measurement(dataset.id(), label, repeat, command, r.get("seconds_per_step").asDouble(), r.get("peak_rss_mb").asDouble(),
                r.get("tokens_per_second").asDouble(), load0, CpuClock.load1());
    }
}
