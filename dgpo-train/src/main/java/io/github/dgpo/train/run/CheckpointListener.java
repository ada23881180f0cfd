package io.github.dgpo.train.run;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Saves a checkpoint every {@code save_steps} updates and after the last one. */
final class CheckpointListener implements TrainingListener {

    /** Writes one checkpoint and returns its folder. */
    @FunctionalInterface
    interface Saver {
        Path save() throws IOException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointListener.class);

    private final int saveSteps;
    private final Saver saver;

    CheckpointListener(int saveSteps, Saver saver) {
        this.saveSteps = saveSteps;
        this.saver = saver;
    }

    @Override
    public void onStepCompleted(int step, boolean last) {
        if (last || (saveSteps > 0 && step % saveSteps == 0)) {
            try {
                LOG.info("saved {}", saver.save());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
