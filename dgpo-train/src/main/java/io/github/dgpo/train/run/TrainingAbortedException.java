package io.github.dgpo.train.run;

/** A run stopped on purpose (too many consecutive non-finite steps), with the reason. */
public class TrainingAbortedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message why, and where the last good checkpoint is
     */
    public TrainingAbortedException(String message) {
        super(message);
    }
}
