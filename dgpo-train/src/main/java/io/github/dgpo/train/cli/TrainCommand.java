package io.github.dgpo.train.cli;

import io.github.dgpo.train.config.ConfigLoader;
import io.github.dgpo.train.config.TrainConfig;
import io.github.dgpo.train.run.Trainer;
import io.github.dgpo.train.run.TrainingAbortedException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dgpo train}: runs a training config. */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Trains a model with a YAML config (see configs/).")
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "YAML run config")
    Path config;

    @Option(names = "--set", description = "override a config key: key=value (repeatable)")
    List<String> overrides = new ArrayList<>();

    @ArgGroup(exclusive = true)
    Existing existing;

    /** What to do with an output folder that already holds a run. */
    static final class Existing {
        @Option(names = "--resume", description = "continue from the newest complete checkpoint in output_dir")
        boolean resume;

        @Option(names = "--overwrite", description = "replace the run output_dir holds (the old run is kept aside until the new one has started)")
        boolean overwrite;
    }

    @Option(names = "--force", description = "with --overwrite, also replace an output_dir that does not look like a dgpo run")
    boolean force;

    @Override
    public Integer call() throws Exception {
        TrainConfig c = ConfigLoader.load(config, overrides);
        Trainer.Mode mode = existing == null ? Trainer.Mode.FRESH : existing.resume ? Trainer.Mode.RESUME : Trainer.Mode.OVERWRITE;
        try {
            if (force && mode != Trainer.Mode.OVERWRITE) {
                throw new UserInputException("--force goes with --overwrite");
            }
            Trainer.Result r = new Trainer(c, mode, System.err).force(force).run();
            System.err.printf("done: %d steps (%d skipped) in %s%n", r.steps(), r.skippedSteps(), r.outputDir());
            r.finding().forEach(f -> System.err.println("finding: " + f.sentence()));
            return 0;
        } catch (TrainingAbortedException e) {
            System.err.println("error: " + e.getMessage());
            return 3;
        }
    }
}
