package io.github.dgpo.train.cli;

import io.github.dgpo.train.plot.TrainingPlots;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dgpo plot}: draws a run's charts from its metrics.jsonl. */
@Command(name = "plot", mixinStandardHelpOptions = true, description = "Draws a run's charts into RUN/plots/.")
public final class PlotCommand implements Callable<Integer> {

    @Option(names = "--run", required = true, description = "run folder (output_dir)")
    Path run;

    @Override
    public Integer call() throws Exception {
        for (Path p : TrainingPlots.write(run)) {
            System.err.println("wrote " + p);
        }
        return 0;
    }
}
