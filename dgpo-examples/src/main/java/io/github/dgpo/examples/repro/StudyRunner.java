package io.github.dgpo.examples.repro;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.github.dgpo.train.config.ConfigLoader;
import io.github.dgpo.train.config.TrainConfig;
import io.github.dgpo.train.run.PairChange;
import io.github.dgpo.train.run.Trainer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the study's training runs in this process, one after the other, each from a config under
 * {@code configs/repro/} with {@code key=value} overrides, and writes each run's {@link
 * RunRecord} into its folder. Every path of a config is replaced by an absolute one (so the study
 * runs from any working directory); the command recorded for a run shows the overrides relative to
 * the repository, without the paths that equal the config's.
 */
final class StudyRunner {

    /** Config keys holding paths, resolved against the repository. */
    private static final List<String> PATH_KEYS = List.of("model_name_or_path", "tokenizer_name_or_path", "dataset_path", "eval_dataset_path", "ref_cache_dir",
            "output_dir");

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static final String RECORD = "repro-run.json";

    private final Path repoRoot;
    private final boolean reuse;
    private int reused;
    private final PrintStream log;

    /**
     * Creates the runner.
     *
     * @param repoRoot the repository (configs and data are found there)
     * @param reuse whether a run whose folder holds a record made from the same inputs is taken back instead of run again
     * @param log where progress lines go
     */
    StudyRunner(Path repoRoot, boolean reuse, PrintStream log) {
        this.repoRoot = repoRoot;
        this.reuse = reuse;
        this.log = log;
    }

    /** @return the repository */
    Path repoRoot() {
        return repoRoot;
    }

    /**
     * What to run.
     *
     * @param dataset the dataset
     * @param group the record's group
     * @param name the folder name under the dataset's folder
     * @param config the config, relative to the repository
     * @param paths path keys to set (absolute paths)
     * @param overrides other overrides (loss, hyperparameters, seed, scale)
     * @param upstream the key of the run this one starts from, or ""
     */
    record Spec(StudyDataset dataset, String group, String name, String config, Map<String, Path> paths, List<String> overrides, String upstream) {}

    /** @return how many runs {@code --reuse} took back instead of training them */
    int reusedRuns() {
        return reused;
    }

    /**
     * Trains one run, or takes it back when {@code --reuse} finds it done from the same inputs.
     *
     * @param s the run
     * @return its record (without the held-out evaluation when it was just trained)
     * @throws IOException if a file cannot be read or written
     */
    RunRecord train(Spec s) throws IOException {
        Path configFile = repoRoot.resolve(s.config());
        TrainConfig base = ConfigLoader.load(configFile, List.of());
        List<String> all = new ArrayList<>();
        List<String> shown = new ArrayList<>();
        for (Map.Entry<String, Path> p : s.paths().entrySet()) {
            all.add(p.getKey() + "=" + p.getValue().toAbsolutePath().normalize());
            String relative = relative(p.getValue());
            if (!relative.equals(configValue(base, p.getKey()))) {
                shown.add(p.getKey() + "=" + relative);
            }
        }
        all.addAll(s.overrides());
        shown.addAll(0, s.overrides());
        TrainConfig c = ConfigLoader.load(configFile, all);
        Path dir = Path.of(c.outputDir);
        String key = Files.readString(configFile) + "\n" + String.join("\n", all) + "\n" + s.upstream();
        if (reuse) {
            RunRecord old = read(dir);
            if (old != null && key.equals(old.key()) && Files.exists(dir.resolve("model.safetensors"))) {
                log.printf("  %-28s reused (%s)%n", s.name(), dir);
                reused++;
                return old;
            }
        }
        String command = "java -jar dgpo-train/target/dgpo.jar train --config " + s.config() + " --overwrite"
                + shown.stream().map(o -> " --set " + o).reduce("", String::concat);
        double load0 = CpuClock.load1();
        double cpu0 = CpuClock.processSeconds();
        long t0 = System.nanoTime();
        Trainer.Result result = new Trainer(c, Trainer.Mode.OVERWRITE, null).run();
        double wall = (System.nanoTime() - t0) / 1e9;
        double cpu = CpuClock.processSeconds() - cpu0;
        Map<String, Object> hp = new LinkedHashMap<>(c.lossHyperparameters());
        RunRecord r = new RunRecord(s.dataset().id(), s.name(), s.group(), c.lossName(), hp, c.seed, command, wall, cpu, load0, CpuClock.load1(), result.finding(),
                null, key);
        log.printf("  %-28s %5.1f s (CPU %5.1f s, load %.1f)  %s%n", s.name(), wall, cpu, load0,
                r.change("chosen", false).map(PairChange::sentence).orElse("(no probe pairs)"));
        return r;
    }

    /**
     * Saves a record into its run's folder.
     *
     * @param dir the run folder
     * @param r the record
     * @throws IOException if it cannot be written
     */
    static void save(Path dir, RunRecord r) throws IOException {
        JSON.writeValue(dir.resolve(RECORD).toFile(), r);
    }

    /** The record in a run folder, or null. */
    private static RunRecord read(Path dir) {
        Path f = dir.resolve(RECORD);
        if (!Files.exists(f)) {
            return null;
        }
        try {
            return JSON.readValue(f.toFile(), RunRecord.class);
        } catch (IOException e) {
            return null;
        }
    }

    /** A path as the command shows it: relative to the repository when inside it. */
    String relative(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        Path root = repoRoot.toAbsolutePath().normalize();
        return abs.startsWith(root) ? root.relativize(abs).toString() : abs.toString();
    }

    private static String configValue(TrainConfig c, String key) {
        JsonNode tree = JSON.valueToTree(c);
        JsonNode v = tree.get(key);
        return v == null || v.isNull() ? null : v.asText();
    }
}
