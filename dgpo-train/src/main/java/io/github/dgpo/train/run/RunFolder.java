package io.github.dgpo.train.run;

import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dgpo.core.OfflineEngine;
import io.github.dgpo.train.config.ConfigLoader;
import io.github.dgpo.train.config.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A run's output folder: what to do with what it holds ({@link Trainer.Mode}), the checkpoint a
 * resume continues from, and the run's description files ({@code run_config.yaml}, {@code
 * run_info.json}).
 */
final class RunFolder {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path dir;
    private final Optional<Path> resumeFrom;

    private RunFolder(Path dir, Optional<Path> resumeFrom) {
        this.dir = dir;
        this.resumeFrom = resumeFrom;
    }

    /**
     * Prepares the folder for a run.
     *
     * @param dir the output folder
     * @param mode what to do with what it holds
     * @return the folder
     * @throws IOException if it cannot be listed, cleared or created
     */
    static RunFolder prepare(Path dir, Trainer.Mode mode) throws IOException {
        boolean occupied = Files.isDirectory(dir) && !isEmpty(dir);
        if (mode == Trainer.Mode.RESUME) {
            Optional<Path> ckpt = Checkpoints.newest(dir);
            if (ckpt.isEmpty()) {
                throw new IllegalArgumentException(dir + ": no complete checkpoint to resume from");
            }
            return new RunFolder(dir, ckpt);
        }
        if (occupied && mode == Trainer.Mode.FRESH) {
            throw new IllegalArgumentException("output_dir " + dir + " already holds a run; use --resume to continue it or --overwrite to replace it");
        }
        if (occupied) {
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    Checkpoints.deleteTree(p);
                }
            }
        }
        Files.createDirectories(dir);
        return new RunFolder(dir, Optional.empty());
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    /** @return the folder */
    Path dir() {
        return dir;
    }

    /** @return the checkpoint a resumed run continues from */
    Optional<Path> resumeFrom() {
        return resumeFrom;
    }

    /**
     * Writes the resolved config and the run's versions, commit, seed and loss.
     *
     * @param c the config
     * @param loss the loss's description
     * @throws IOException if a file cannot be written
     */
    void writeRunInfo(TrainConfig c, String loss) throws IOException {
        ConfigLoader.YAML.writeValue(dir.resolve("run_config.yaml").toFile(), c);
        ObjectNode info = JSON.createObjectNode();
        info.put("dgpo_version", Optional.ofNullable(Trainer.class.getPackage().getImplementationVersion()).orElse("0.1.0-SNAPSHOT"));
        info.put("djl_version", Engine.getDjlVersion());
        info.put("pytorch_version", OfflineEngine.engine().getVersion());
        info.put("java_version", System.getProperty("java.version"));
        info.put("git_commit", gitCommit());
        info.put("seed", c.seed);
        info.put("loss", loss);
        info.put("started", java.time.Instant.now().toString());
        JSON.writeValue(dir.resolve("run_info.json").toFile(), info);
    }

    /**
     * Adds the end-of-run finding to {@code run_info.json}.
     *
     * @param finding the paired changes
     * @throws IOException if the file cannot be rewritten
     */
    void writeFinding(java.util.List<PairChange> finding) throws IOException {
        Path file = dir.resolve("run_info.json");
        ObjectNode info = Files.exists(file) ? (ObjectNode) JSON.readTree(file.toFile()) : JSON.createObjectNode();
        com.fasterxml.jackson.databind.node.ArrayNode out = info.putArray("finding");
        for (PairChange c : finding) {
            out.addObject().put("what", c.what()).put("verdict", c.verdict()).put("pairs", c.pairs()).put("before", c.before()).put("after", c.after())
                    .put("mean_change", c.meanChange()).put("ci95_low", c.low()).put("ci95_high", c.high());
        }
        Path tmp = dir.resolve("run_info.json.tmp");
        JSON.writeValue(tmp.toFile(), info);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static String gitCommit() {
        try {
            Process p = new ProcessBuilder("git", "rev-parse", "HEAD").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor() == 0 ? out : "unknown";
        } catch (IOException | InterruptedException e) {
            return "unknown";
        }
    }
}
