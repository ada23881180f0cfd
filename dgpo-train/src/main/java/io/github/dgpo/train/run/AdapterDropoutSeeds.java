package io.github.dgpo.train.run;

import io.github.dgpo.core.model.LoraAdapters;

/**
 * Seeds the LoRA dropout masks of each step from the run's seed and the step's number, so a run
 * resumed from a checkpoint draws the masks an uninterrupted run draws, with no random state
 * saved.
 */
final class AdapterDropoutSeeds implements TrainingListener {

    private final LoraAdapters adapters;
    private final long seed;

    AdapterDropoutSeeds(LoraAdapters adapters, long seed) {
        this.adapters = adapters;
        this.seed = seed;
    }

    @Override
    public void onTrainingBegin(RunContext run) {
        adapters.beginStep(seed, run.firstStep());
    }

    @Override
    public void onStepEnd(StepRecord step) {
        adapters.beginStep(seed, step.step());
    }
}
