package io.github.dgpo.train.run;

import ai.djl.ndarray.NDArray;
import io.github.dgpo.core.util.Profiler;
import io.github.dgpo.data.batch.BatchSampler;
import io.github.dgpo.train.optim.AdamW;
import io.github.dgpo.train.optim.Gradients;
import io.github.dgpo.train.optim.LearningRateSchedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The optimisation loop: the seeded, resumable batch order, gradient accumulation over
 * micro-batches (each weighted by its share of the step's examples), global-norm clipping, AdamW
 * with the learning-rate schedule, skipping of non-finite steps, periodic evaluation, and the
 * listeners that log, draw and persist what happened.
 */
final class TrainingLoop {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingLoop.class);

    /**
     * The loop's settings.
     *
     * @param batchSize examples per micro-batch
     * @param accumulation micro-batches per update
     * @param totalSteps updates ({@code max_steps}, or derived from the epochs when {@code <= 0})
     * @param epochs epochs when {@code totalSteps <= 0}
     * @param maxGradNorm clipping threshold (0: off)
     * @param evalSteps evaluate every this many updates (0: at the end only)
     * @param maxConsecutiveBadSteps stop after this many skipped updates in a row
     * @param seed the batch order's seed
     * @param groupByLength whether batches group similar lengths
     */
    record Settings(int batchSize, int accumulation, int totalSteps, double epochs, double maxGradNorm, int evalSteps, int maxConsecutiveBadSteps, long seed,
            boolean groupByLength) {}

    private final Objective objective;
    private final Map<String, NDArray> parameters;
    private final AdamW optimizer;
    private final TrainerState state;
    private final Settings settings;
    private final List<TrainingListener> listeners;
    private final BatchSampler sampler;
    private final int stepsPerEpoch;
    private final int totalSteps;
    private final LearningRateSchedule schedule;
    private IntPredicate poisonedSteps = step -> false;
    private Supplier<String> lastCheckpoint = () -> "(none yet)";

    TrainingLoop(Objective objective, Map<String, NDArray> parameters, AdamW optimizer, TrainerState state, Settings settings, double learningRate,
            double warmupRatio, String scheduleType, List<TrainingListener> listeners) {
        this.objective = objective;
        this.parameters = parameters;
        this.optimizer = optimizer;
        this.state = state;
        this.settings = settings;
        this.listeners = listeners;
        this.sampler = new BatchSampler(objective.trainLengths(), settings.batchSize(), settings.seed(), settings.groupByLength());
        this.stepsPerEpoch = Math.toIntExact(((long) sampler.batchesPerEpoch() + settings.accumulation() - 1) / settings.accumulation());
        this.totalSteps = settings.totalSteps() > 0 ? settings.totalSteps() : (int) Math.ceil(settings.epochs() * stepsPerEpoch);
        this.state.totalSteps = totalSteps;
        this.schedule = new LearningRateSchedule(learningRate, warmupRatio, totalSteps, scheduleType);
    }

    /** Makes the loss of the given (1-based) steps NaN, to exercise the bad-step handling. */
    TrainingLoop poisoning(IntPredicate steps) {
        this.poisonedSteps = steps;
        return this;
    }

    /** Where the last good checkpoint is, for the message when the run stops. */
    TrainingLoop lastCheckpoint(Supplier<String> where) {
        this.lastCheckpoint = where;
        return this;
    }

    /** @return updates planned */
    int totalSteps() {
        return totalSteps;
    }

    /** @return updates per epoch */
    int stepsPerEpoch() {
        return stepsPerEpoch;
    }

    void run() {
        TrainingListener.RunContext context = new TrainingListener.RunContext(totalSteps, state.globalStep, stepsPerEpoch);
        listeners.forEach(l -> l.onTrainingBegin(context));
        if (state.globalStep == 0 && objective.hasEvaluation()) {
            evaluate();
        }
        List<int[]> epochBatches = sampler.epoch(state.epoch);
        boolean evaluatedLast = false;
        while (state.globalStep < totalSteps) {
            if (state.batchPosition >= epochBatches.size()) {
                state.epoch++;
                state.batchPosition = 0;
                epochBatches = sampler.epoch(state.epoch);
            }
            int end = Math.min(epochBatches.size(), state.batchPosition + settings.accumulation());
            TrainingListener.StepRecord record = step(epochBatches.subList(state.batchPosition, end));
            state.batchPosition = end;
            listeners.forEach(l -> l.onStepEnd(record));
            boolean last = state.globalStep == totalSteps;
            evaluatedLast = settings.evalSteps() > 0 && state.globalStep % settings.evalSteps() == 0 && objective.hasEvaluation();
            if (evaluatedLast) {
                evaluate();
            }
            if (last && !evaluatedLast && objective.hasEvaluation()) {
                evaluate();
            }
            listeners.forEach(l -> l.onStepCompleted(state.globalStep, last));
        }
        listeners.forEach(l -> l.onTrainingEnd(context));
    }

    private void evaluate() {
        Evaluation e = objective.evaluate();
        listeners.forEach(l -> l.onEvaluation(state.globalStep, e));
    }

    /** One optimizer update over the micro-batches. */
    private TrainingListener.StepRecord step(List<int[]> micro) {
        int examples = micro.stream().mapToInt(b -> b.length).sum();
        double lossSum = 0;
        List<MicroBatch> done = new ArrayList<>();
        for (int[] batch : micro) {
            double scale = batch.length / (double) examples;
            MicroBatch result = objective.train(batch, scale);
            done.add(result);
            lossSum += result.loss() * scale;
        }
        double learningRate = schedule.at(state.globalStep);
        state.globalStep++;
        if (poisonedSteps.test(state.globalStep)) {
            lossSum = Double.NaN;
        }
        double norm;
        try (Profiler.Phase p = Profiler.phase("optimizer")) {
            norm = Gradients.globalNorm(parameters);
        }
        if (!Double.isFinite(lossSum) || !Double.isFinite(norm)) {
            Gradients.zero(parameters);
            state.skippedSteps++;
            state.consecutiveBadSteps++;
            LOG.warn("step {}: non-finite {} ({}); skipped ({} in a row, {} in all)", state.globalStep, Double.isFinite(lossSum) ? "gradient norm" : "loss",
                    Double.isFinite(lossSum) ? norm : lossSum, state.consecutiveBadSteps, state.skippedSteps);
            if (state.consecutiveBadSteps >= settings.maxConsecutiveBadSteps()) {
                throw new TrainingAbortedException("stopping: " + state.consecutiveBadSteps + " consecutive steps with a non-finite loss or gradient (max_consecutive_bad_steps="
                        + settings.maxConsecutiveBadSteps() + "); the last good checkpoint is " + lastCheckpoint.get());
            }
            return new TrainingListener.StepRecord(state.globalStep, epoch(), lossSum, done, Double.NaN, learningRate, state.skippedSteps);
        }
        state.consecutiveBadSteps = 0;
        try (Profiler.Phase p = Profiler.phase("optimizer")) {
            Gradients.clip(parameters, norm, settings.maxGradNorm());
            optimizer.step(parameters, learningRate);
            Gradients.zero(parameters);
        }
        state.adamSteps = optimizer.steps();
        return new TrainingListener.StepRecord(state.globalStep, epoch(), lossSum, done, norm, learningRate, state.skippedSteps);
    }

    private double epoch() {
        return state.globalStep / (double) stepsPerEpoch;
    }
}
