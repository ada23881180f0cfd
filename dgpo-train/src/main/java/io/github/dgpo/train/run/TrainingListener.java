package io.github.dgpo.train.run;

/**
 * Follows a training run (DJL's {@code TrainingListener} idiom): run files, progress, plots and
 * probes attach here instead of living in the loop. Every method has an empty default.
 */
public interface TrainingListener {

    /**
     * Before the first step (or the first step after a resume).
     *
     * @param run what the run is
     */
    default void onTrainingBegin(RunContext run) {}

    /**
     * After each optimizer update (or skipped update).
     *
     * @param step what the step did
     */
    default void onStepEnd(StepRecord step) {}

    /**
     * After an evaluation of the held-out examples (at step 0 of a fresh run, every {@code
     * eval_steps} and after the last step).
     *
     * @param step the step it followed (0: before training)
     * @param evaluation what it measured
     */
    default void onEvaluation(int step, Evaluation evaluation) {}

    /**
     * After a step's logging and evaluation: the moment to persist it.
     *
     * @param step the step
     * @param last whether it is the run's last step
     */
    default void onStepCompleted(int step, boolean last) {}

    /**
     * After the last step.
     *
     * @param run what the run is
     */
    default void onTrainingEnd(RunContext run) {}

    /**
     * A run's fixed facts.
     *
     * @param totalSteps updates planned
     * @param firstStep the step the run (re)starts from
     * @param stepsPerEpoch updates per epoch
     */
    record RunContext(int totalSteps, int firstStep, int stepsPerEpoch) {}

    /**
     * What one optimizer update did.
     *
     * @param step the update's number (1-based)
     * @param epoch fractional epoch after it
     * @param loss the step's mean loss (NaN when skipped)
     * @param micro the micro-batches' outcomes
     * @param gradNorm the global gradient norm before clipping (NaN when skipped)
     * @param learningRate the learning rate used
     * @param skippedSteps updates skipped so far
     */
    record StepRecord(int step, double epoch, double loss, java.util.List<MicroBatch> micro, double gradNorm, double learningRate, int skippedSteps) {

        /** @return whether the update was skipped for a non-finite loss or gradient */
        public boolean skipped() {
            return Double.isNaN(gradNorm);
        }
    }
}
