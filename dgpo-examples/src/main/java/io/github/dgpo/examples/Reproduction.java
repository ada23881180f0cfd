package io.github.dgpo.examples;

import io.github.dgpo.core.OfflineEngine;
import io.github.dgpo.examples.repro.Study;
import io.github.dgpo.examples.repro.StudyDataset;
import io.github.dgpo.examples.repro.StudyScale;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * The small-scale reproduction of the DGPO paper's training-dynamics claims ({@code
 * docs/reproduction.md}), in one command from the repository root:
 *
 * <pre>
 *   mvn -B -q package -DskipTests
 *   java -cp dgpo-train/target/dgpo.jar:dgpo-examples/target/classes io.github.dgpo.examples.Reproduction --scale full --docs docs/repro
 * </pre>
 *
 * Options: {@code --scale full|tiny} (default full), {@code --output DIR} (default {@code
 * runs/repro}), {@code --docs DIR} (copy the charts there), {@code --dataset controlled|hh}
 * (repeatable; default both), {@code --threads N} (PyTorch intra-op threads, default 1: the models
 * are small, and on a shared 2-core machine two threads contend), {@code --reuse} (take back runs
 * already done from the same inputs, to redraw the report).
 */
public final class Reproduction {

    private Reproduction() {}

    /**
     * Runs the study.
     *
     * @param args the options
     * @throws IOException if a file cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        run(args);
    }

    /**
     * Runs the study.
     *
     * @param args the options
     * @return what it did
     * @throws IOException if a file cannot be read or written
     */
    public static Study.Result run(String... args) throws IOException {
        StudyScale scale = StudyScale.FULL;
        Path output = Paths.get("runs/repro");
        Path docs = null;
        boolean reuse = false;
        int threads = 1;
        List<StudyDataset> datasets = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--scale" -> scale = StudyScale.of(value(args, ++i, a));
                case "--output" -> output = Paths.get(value(args, ++i, a));
                case "--docs" -> docs = Paths.get(value(args, ++i, a));
                case "--reuse" -> reuse = true;
                case "--threads" -> threads = Integer.parseInt(value(args, ++i, a));
                case "--dataset" -> {
                    String d = value(args, ++i, a);
                    datasets.add(java.util.Arrays.stream(StudyDataset.values()).filter(x -> x.id().equals(d)).findFirst()
                            .orElseThrow(() -> new IllegalArgumentException("--dataset must be controlled or hh, got '" + d + "'")));
                }
                default -> throw new IllegalArgumentException("unknown option '" + a + "'; options: --scale full|tiny, --output DIR, --docs DIR, --dataset controlled|hh,"
                        + " --threads N, --reuse");
            }
        }
        if (datasets.isEmpty()) {
            datasets = List.of(StudyDataset.CONTROLLED, StudyDataset.HH);
        }
        // before the engine starts: libtorch reads it once
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        OfflineEngine.configure();
        Path root = ExampleRuns.repoRoot();
        return Study.run(new Study.Settings(scale, output.toAbsolutePath(), docs == null ? null : docs.toAbsolutePath(), reuse, threads, datasets), root, System.out);
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }
}
