package io.github.dgpo.examples;

import io.github.dgpo.core.OfflineEngine;
import io.github.dgpo.train.plot.TrainingPlots;
import io.github.dgpo.train.run.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DPO and DGPO from the same SFT start on the bundled HH-RLHF split, with one chart of both runs'
 * chosen and rejected log-probabilities ({@code compare-chosen-logps.png}): the likelihood
 * displacement question of the DGPO paper in miniature. Run from the repository root:
 *
 * <pre>
 *   mvn -B -q -pl dgpo-examples -am compile exec:java -Dexec.mainClass=io.github.dgpo.examples.CompareLosses
 * </pre>
 */
public final class CompareLosses {

    private CompareLosses() {}

    /**
     * Runs the example.
     *
     * @param args {@code --output DIR} and {@code key=value} overrides
     * @throws IOException if a file cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        runExample(args);
    }

    /**
     * Runs the example.
     *
     * @param args {@code --output DIR} and {@code key=value} overrides
     * @return the comparison chart
     * @throws IOException if a file cannot be read or written
     */
    public static Path runExample(String... args) throws IOException {
        OfflineEngine.configure();
        TrainDgpo.Arguments a = TrainDgpo.Arguments.parse(args, "runs/example-compare");
        Path sft = a.output().resolve("sft");
        ExampleRuns.train("configs/tiny/sft-hh-rlhf.yaml", ExampleRuns.with(a.overrides(), "output_dir=" + sft));
        Map<String, Path> runs = new LinkedHashMap<>();
        for (String loss : List.of("dpo", "dgpo")) {
            Path out = a.output().resolve(loss);
            Trainer.Result r = ExampleRuns.train("configs/tiny/" + loss + "-hh-rlhf.yaml",
                    ExampleRuns.with(List.of("model_name_or_path=" + sft, "ref_cache_dir=" + a.output().resolve("ref-cache")),
                            ExampleRuns.with(ExampleRuns.forTrainedModel(a.overrides()), "output_dir=" + out).toArray(new String[0])));
            System.out.printf("%s: %s%n", loss, r.chosenChange().map(io.github.dgpo.train.run.PairChange::sentence).orElse("no probe pairs"));
            runs.put(loss, out);
        }
        Path chart = TrainingPlots.compareChosen(runs, a.output().resolve("compare-chosen-logps.png"));
        System.out.println("comparison chart: " + chart);
        return chart;
    }
}
