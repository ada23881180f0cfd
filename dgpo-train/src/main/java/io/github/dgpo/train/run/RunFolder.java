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
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's output folder: locked for the run's life ({@link RunLock}), checked against what it
 * holds ({@link Trainer.Mode}), the checkpoint a resume continues from, and the run's description
 * files ({@code run_config.yaml}, {@code run_info.json}).
 *
 * <p>What it never does: write into or replace a folder that is, or holds, one of the run's
 * inputs (the model, reference, tokenizer, data or reference cache); replace a folder that does
 * not look like a dgpo run (no {@code run_info.json}, no checkpoint) unless forced. Replacing an
 * old run moves its files aside into {@code .replaced-<time>/} first; they are deleted once the
 * new run has completed its first step, and put back if it fails before that.
 */
final class RunFolder implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Logger LOG = LoggerFactory.getLogger(RunFolder.class);

    private final Path dir;
    private final Optional<Path> resumeFrom;
    private final RunLock lock;
    private final Object identity;
    private Path aside;

    private RunFolder(Path dir, Optional<Path> resumeFrom, RunLock lock, Path aside) throws IOException {
        this.dir = dir;
        this.resumeFrom = resumeFrom;
        this.lock = lock;
        this.aside = aside;
        this.identity = Files.readAttributes(dir, BasicFileAttributes.class).fileKey();
    }

    /**
     * Prepares the folder for a run: refuses what the mode does not allow, takes the lock, and
     * for {@code OVERWRITE} moves the old run aside.
     *
     * @param dir the output folder
     * @param mode what to do with what it holds
     * @param force whether {@code OVERWRITE} may replace a folder that is not a dgpo run
     * @param inputs the run's input paths (model, tokenizer, data, ...), which the folder must not be or hold
     * @return the folder, locked
     * @throws IOException if it cannot be listed, locked or created
     */
    static RunFolder prepare(Path dir, Trainer.Mode mode, boolean force, Map<String, Path> inputs) throws IOException {
        Path real = resolved(dir);
        for (Map.Entry<String, Path> in : inputs.entrySet()) {
            Path input = resolved(in.getValue());
            if (input.startsWith(real)) {
                throw new IllegalArgumentException("output_dir " + dir + (input.equals(real) ? " is " : " holds ") + "the " + in.getKey() + " (" + in.getValue()
                        + "); a run writes and replaces files in its output_dir, so it must be a folder of its own");
            }
        }
        Files.createDirectories(dir);
        RunLock lock = RunLock.acquire(dir);
        try {
            List<Path> entries = entries(dir);
            if (mode == Trainer.Mode.RESUME) {
                Optional<Path> ckpt = Checkpoints.newest(dir);
                if (ckpt.isEmpty()) {
                    throw new IllegalArgumentException(dir + ": no complete checkpoint to resume from");
                }
                return new RunFolder(dir, ckpt, lock, null);
            }
            if (!entries.isEmpty() && mode == Trainer.Mode.FRESH) {
                throw new IllegalArgumentException("output_dir " + dir + " already holds a run; use --resume to continue it or --overwrite to replace it");
            }
            Path aside = null;
            if (!entries.isEmpty()) {
                if (!looksLikeRun(dir) && !force) {
                    throw new IllegalArgumentException("output_dir " + dir + " is not a dgpo run (no run_info.json, no checkpoint) and holds "
                            + entries.stream().limit(5).map(p -> p.getFileName().toString()).toList() + (entries.size() > 5 ? " and more" : "")
                            + "; --overwrite replaces only runs: choose another output_dir, or add --force to replace these files");
                }
                aside = dir.resolve(".replaced-" + Instant.now().toEpochMilli());
                Files.createDirectory(aside);
                for (Path p : entries) {
                    Files.move(p, aside.resolve(p.getFileName().toString()));
                }
                LOG.info("output_dir {}: the previous run is moved aside to {} until the new run has started", dir, aside);
            }
            return new RunFolder(dir, Optional.empty(), lock, aside);
        } catch (RuntimeException | IOException e) {
            lock.close();
            throw e;
        }
    }

    private static Path resolved(Path p) throws IOException {
        Path abs = p.toAbsolutePath().normalize();
        return Files.exists(abs) ? abs.toRealPath() : abs;
    }

    /** The folder's entries, the lock file and folders set aside by a replacement excepted. */
    private static List<Path> entries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().equals(RunLock.FILE) && !p.getFileName().toString().startsWith(".replaced-")).sorted().toList();
        }
    }

    private static boolean looksLikeRun(Path dir) throws IOException {
        return Files.exists(dir.resolve("run_info.json")) || !Checkpoints.list(dir).isEmpty();
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
     * Fails when the folder was deleted or replaced since the run took it (rather than silently
     * recreating it without the run's earlier files).
     *
     * @throws TrainingAbortedException saying what happened
     */
    void checkIntact() {
        Object now;
        try {
            now = Files.exists(dir.resolve(RunLock.FILE)) ? Files.readAttributes(dir, BasicFileAttributes.class).fileKey() : null;
        } catch (IOException e) {
            now = null;
        }
        if (now == null || !now.equals(identity)) {
            throw new TrainingAbortedException("output_dir " + dir + " was deleted or replaced while the run was writing to it; stopping rather than recreating it"
                    + " without the run's earlier files (metrics, checkpoints)");
        }
    }

    /** The new run has started: the previous run set aside is deleted. */
    void started() throws IOException {
        if (aside != null) {
            Checkpoints.deleteTree(aside);
            aside = null;
        }
    }

    /** The new run failed before it started: its files go, the previous run's come back. */
    void restore() {
        if (aside == null) {
            return;
        }
        try {
            for (Path p : entries(dir)) {
                Checkpoints.deleteTree(p);
            }
            try (Stream<Path> s = Files.list(aside)) {
                for (Path p : s.toList()) {
                    Files.move(p, dir.resolve(p.getFileName().toString()));
                }
            }
            Files.delete(aside);
            LOG.info("output_dir {}: the run failed before its first step; the previous run is back in place", dir);
            aside = null;
        } catch (IOException e) {
            LOG.error("output_dir {}: could not put the previous run back from {}: {}", dir, aside, e.toString());
        }
    }

    @Override
    public void close() throws IOException {
        lock.close();
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
