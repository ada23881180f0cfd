package io.github.dgpo.examples;

import io.github.dgpo.core.OfflineEngine;
import io.github.dgpo.train.run.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

/**
 * SFT a small random model on the chosen responses of the bundled HH-RLHF split, then DGPO from
 * it, and report whether the chosen log-probability rose. Run from the repository root:
 *
 * <pre>
 *   mvn -B -q -pl dgpo-examples -am compile exec:java -Dexec.mainClass=io.github.dgpo.examples.TrainDgpo
 * </pre>
 *
 * Arguments are {@code --set key=value} overrides applied to both stages (for example {@code
 * max_steps=10}); {@code --output DIR} chooses the folder (default {@code runs/example-dgpo}).
 */
public final class TrainDgpo {

    private TrainDgpo() {}

    /**
     * Runs the example.
     *
     * @param args overrides
     * @throws IOException if a file cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        runExample(args);
    }

    /**
     * Runs the example and returns the DGPO stage's result.
     *
     * @param args {@code --output DIR} and {@code key=value} overrides
     * @return the DGPO run's result
     * @throws IOException if a file cannot be read or written
     */
    public static Trainer.Result runExample(String... args) throws IOException {
        OfflineEngine.configure();
        Arguments a = Arguments.parse(args, "runs/example-dgpo");
        Path sft = a.output().resolve("sft");
        Path dgpo = a.output().resolve("dgpo");
        ExampleRuns.train("configs/tiny/sft-hh-rlhf.yaml", ExampleRuns.with(a.overrides(), "output_dir=" + sft));
        Trainer.Result r = ExampleRuns.train("configs/tiny/dgpo-hh-rlhf.yaml",
                ExampleRuns.with(List.of("model_name_or_path=" + sft), ExampleRuns.with(ExampleRuns.forTrainedModel(a.overrides()), "output_dir=" + dgpo).toArray(new String[0])));
        System.out.printf("DGPO run in %s: %s; plots in %s%n", dgpo, r.chosenChange().map(io.github.dgpo.train.run.PairChange::sentence).orElse("no probe pairs"),
                dgpo.resolve("plots"));
        return r;
    }

    /** The examples' command line: {@code --output DIR} and {@code key=value} overrides. */
    record Arguments(Path output, List<String> overrides) {
        static Arguments parse(String[] args, String defaultOutput) {
            Path out = Paths.get(defaultOutput);
            List<String> overrides = new java.util.ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                if (args[i].equals("--output") && i + 1 < args.length) {
                    out = Paths.get(args[++i]);
                } else if (args[i].equals("--set") && i + 1 < args.length) {
                    overrides.add(args[++i]);
                } else {
                    overrides.add(args[i]);
                }
            }
            return new Arguments(out, overrides);
        }
    }
}
