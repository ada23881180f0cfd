package io.github.dgpo.examples;

import io.github.dgpo.train.config.ConfigLoader;
import io.github.dgpo.train.run.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/** Runs the bundled tiny configs with overrides, for the examples. */
final class ExampleRuns {

    private ExampleRuns() {}

    /**
     * Trains one config.
     *
     * @param config a config under {@code configs/}
     * @param overrides {@code key=value} overrides (the example's own first, then the caller's)
     * @return the run's result
     * @throws IOException if a file cannot be read or written
     */
    static Trainer.Result train(String config, List<String> overrides) throws IOException {
        Path file = repoRoot().resolve(config);
        return new Trainer(ConfigLoader.load(file, overrides), Trainer.Mode.OVERWRITE, System.err).run();
    }

    /** The nearest folder upwards from the working directory that holds {@code configs/tiny}. */
    static Path repoRoot() {
        Path dir = Paths.get("").toAbsolutePath();
        while (dir != null && !java.nio.file.Files.isDirectory(dir.resolve("configs/tiny"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("run the examples from the dgpo repository (no configs/tiny above " + Paths.get("").toAbsolutePath() + ")");
        }
        return dir;
    }

    /** Overrides for a stage that starts from a model folder: those of the random model dropped. */
    static List<String> forTrainedModel(List<String> overrides) {
        return overrides.stream().filter(o -> !o.startsWith("random_model") && !o.startsWith("model_seed")).toList();
    }

    /** {@code base} followed by {@code extra}. */
    static List<String> with(List<String> base, String... extra) {
        List<String> out = new ArrayList<>(base);
        out.addAll(List.of(extra));
        return out;
    }
}
