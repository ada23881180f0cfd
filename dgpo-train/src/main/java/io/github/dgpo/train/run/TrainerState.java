package io.github.dgpo.train.run;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Where a run is, saved in every checkpoint ({@code trainer_state.json}) so a resumed run
 * continues exactly: the update count, the data position (epoch and micro-batch index of the
 * seeded, deterministic batch order), the optimizer's step count and the bad-step counters.
 * The batch order and every other random choice derive from the seed and the position, so the
 * seed is the whole random state.
 */
public final class TrainerState {
    /** Optimizer updates done. */
    @JsonProperty("global_step") public int globalStep;
    /** Current epoch (0-based). */
    @JsonProperty("epoch") public int epoch;
    /** Next micro-batch index within the epoch. */
    @JsonProperty("batch_position") public int batchPosition;
    /** AdamW's bias-correction step count. */
    @JsonProperty("adam_steps") public long adamSteps;
    /** Steps skipped for a non-finite loss or gradient. */
    @JsonProperty("skipped_steps") public int skippedSteps;
    /** Consecutive skipped steps so far. */
    @JsonProperty("consecutive_bad_steps") public int consecutiveBadSteps;
    /** The run's seed. */
    @JsonProperty("seed") public long seed;
    /** Total updates planned. */
    @JsonProperty("total_steps") public int totalSteps;
    /** The loss's state between batches (BCO's running mean), or null. */
    @JsonProperty("loss_state") public java.util.Map<String, Double> lossState;
    /**
     * Per-pair values of the probe sets at step 0 ({@code probe} and {@code eval}, each with
     * {@code chosen}, {@code rejected} and {@code margins}), so the end-of-run finding compares
     * with the run's start even after a resume.
     */
    @JsonProperty("probe_baseline") public java.util.Map<String, java.util.Map<String, double[]>> probeBaseline = new java.util.LinkedHashMap<>();
}
