package io.github.dgpo.train.run;

import static io.github.dgpo.train.run.TrainTestSupport.config;
import static io.github.dgpo.train.run.TrainTestSupport.load;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dgpo.train.cli.DgpoCli;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The output folder is never a casualty: --overwrite validates first, refuses inputs and folders
 * that are not runs, puts the old run back when the new one fails before starting; one run at a
 * time holds the folder's lock, a dead holder's lock is taken over; a folder deleted mid-run stops
 * the run.
 */
class RunFolderTest {

    @TempDir
    Path tmp;

    private Trainer trainer(Path out, Trainer.Mode mode, String... settings) throws Exception {
        return new Trainer(load(config(tmp, out.toString(), "max_steps: 2"), settings), mode, null);
    }

    @Test
    void overwriteValidatesFirstAndNeverDeletesInputsOrForeignFolders() throws Exception {
        Path run = tmp.resolve("finished");
        trainer(run, Trainer.Mode.FRESH).run();
        byte[] weights = Files.readAllBytes(run.resolve("model.safetensors"));

        Exception typo = assertThrows(Exception.class,
                () -> trainer(run, Trainer.Mode.OVERWRITE, "dataset_path=" + tmp.resolve("no-such.jsonl")).run());
        assertTrue(typo.getMessage().contains("no-such.jsonl"), typo.getMessage());
        assertTrue(java.util.Arrays.equals(weights, Files.readAllBytes(run.resolve("model.safetensors"))), "a config typo leaves the finished run alone");

        IllegalArgumentException model = assertThrows(IllegalArgumentException.class, () -> new Trainer(load(config(tmp, run.toString(), "max_steps: 2"),
                "random_model=null", "model_name_or_path=" + run), Trainer.Mode.OVERWRITE, null).run());
        assertTrue(model.getMessage().contains("is the model folder (model_name_or_path)"), model.getMessage());
        assertTrue(Files.exists(run.resolve("model.safetensors")), "the input model is intact");
        Path parent = tmp.resolve("parent");
        Files.createDirectories(parent.resolve("data"));
        Path data = Files.copy(TrainTestSupport.pairs(), parent.resolve("data/pairs.jsonl"));
        IllegalArgumentException holds = assertThrows(IllegalArgumentException.class,
                () -> trainer(parent, Trainer.Mode.OVERWRITE, "dataset_path=" + data).force(true).run());
        assertTrue(holds.getMessage().contains("holds the dataset (dataset_path)"), holds.getMessage());
        assertTrue(Files.exists(data), "even --force never touches an input");

        Path foreign = tmp.resolve("foreign");
        Files.createDirectories(foreign.resolve("notes"));
        Files.writeString(foreign.resolve("thesis.tex"), "precious");
        IllegalArgumentException notRun = assertThrows(IllegalArgumentException.class, () -> trainer(foreign, Trainer.Mode.OVERWRITE).run());
        assertTrue(notRun.getMessage().contains("is not a dgpo run (no run_info.json, no checkpoint) and holds [notes, thesis.tex]"), notRun.getMessage());
        assertEquals("precious", Files.readString(foreign.resolve("thesis.tex")));
        trainer(foreign, Trainer.Mode.OVERWRITE).force(true).run();
        assertFalse(Files.exists(foreign.resolve("thesis.tex")), "--force replaces it");
        assertTrue(Files.exists(foreign.resolve("checkpoint-2")));
        try (var s = Files.list(foreign)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".replaced-")), "the old files are gone once the run has started");
        }
    }

    @Test
    void aRunFailingBeforeItsFirstStepPutsTheOldRunBack() throws Exception {
        Path run = tmp.resolve("kept");
        trainer(run, Trainer.Mode.FRESH).run();
        String metrics = Files.readString(run.resolve("metrics.jsonl"));
        assertThrows(TrainingAbortedException.class, () -> trainer(run, Trainer.Mode.OVERWRITE, "max_consecutive_bad_steps=1").withPoisonedSteps(s -> true).run());
        assertEquals(metrics, Files.readString(run.resolve("metrics.jsonl")), "the previous run is back");
        assertTrue(Files.exists(run.resolve("checkpoint-2/model.safetensors")));
    }

    @Test
    void aFolderDeletedDuringTrainingStopsTheRun() throws Exception {
        Path run = tmp.resolve("deleted");
        TrainingListener deleter = new TrainingListener() {
            @Override
            public void onStepCompleted(int step, boolean last) {
                if (step == 1) {
                    try {
                        Checkpoints.deleteTree(run);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            }
        };
        TrainingAbortedException e = assertThrows(TrainingAbortedException.class, () -> trainer(run, Trainer.Mode.FRESH).withListener(deleter).run());
        assertTrue(e.getMessage().contains("was deleted or replaced while the run was writing to it"), e.getMessage());
        assertFalse(Files.exists(run.resolve("metrics.jsonl")), "nothing recreated");
    }

    @Test
    void oneRunPerFolderAndStaleLocksAreTakenOver() throws Exception {
        Path run = tmp.resolve("locked");
        Path cfg = config(tmp, run.toString(), "max_steps: 200", "save_steps: 1000");
        Process child = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
                DgpoCli.class.getName(), "train", "--config", cfg.toString()).redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile())
                .directory(new File(".")).start();
        try {
            Path lock = run.resolve(RunLock.FILE);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!(Files.exists(run.resolve("metrics.jsonl")) && Files.size(lock) > 0) && child.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(child.isAlive(), Files.readString(tmp.resolve("child.log")));
            for (Trainer.Mode mode : List.of(Trainer.Mode.OVERWRITE, Trainer.Mode.RESUME)) {
                IllegalArgumentException busy = assertThrows(IllegalArgumentException.class,
                        () -> new Trainer(load(cfg), mode, null).force(true).run());
                assertTrue(busy.getMessage().contains("is in use by another training (pid " + child.pid() + " on host"), busy.getMessage());
            }
            assertTrue(Files.exists(run.resolve("metrics.jsonl")), "the running training's files are untouched");
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
        assertTrue(Files.size(run.resolve(RunLock.FILE)) > 0, "the killed run left its lock file behind");
        new Trainer(load(config(tmp, run.toString(), "max_steps: 2")), Trainer.Mode.OVERWRITE, null).run();
        assertEquals(0, Files.size(run.resolve(RunLock.FILE)), "the stale lock was taken over and released at the end");
    }
}
