package io.github.dgpo.train.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.dgpo.core.Devices;
import io.github.dgpo.core.OfflineEngine;
import io.github.dgpo.core.logprobs.SequenceLogprobs;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.safetensors.DType;
import io.github.dgpo.data.batch.RowLayout;
import io.github.dgpo.data.tokenize.TokenizedPair;
import io.github.dgpo.losses.LossInput;
import io.github.dgpo.losses.PreferenceLoss;
import io.github.dgpo.losses.PreferenceLosses;
import io.github.dgpo.train.config.TrainConfig;
import io.github.dgpo.train.optim.AdamW;
import io.github.dgpo.train.plot.TrainingPlots;
import io.github.dgpo.train.score.LiveReference;
import io.github.dgpo.train.score.PairScorer;
import io.github.dgpo.train.score.PrecomputedReference;
import io.github.dgpo.train.score.Reference;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a training config: prepares the run folder, reads the data, builds the policy, the
 * reference the loss asks for and the {@link PairScorer}, then hands the {@link Objective} to the
 * {@link TrainingLoop} with its listeners (metrics file, progress bar, checkpoints, plots) and
 * saves the trained model.
 */
public final class Trainer {

    /** How to treat an existing output folder. */
    public enum Mode {
        /** Refuse an output folder that already holds a run. */
        FRESH,
        /** Continue from the newest complete checkpoint. */
        RESUME,
        /** Delete what the output folder holds and start again. */
        OVERWRITE
    }

    /**
     * What a finished run reports.
     *
     * @param outputDir the run folder
     * @param steps updates done
     * @param skippedSteps updates skipped for non-finite values
     * @param firstChosenLogpAvg {@code logps_avg/chosen} of the first logged step
     * @param lastChosenLogpAvg {@code logps_avg/chosen} of the last logged step
     */
    public record Result(Path outputDir, int steps, int skippedSteps, double firstChosenLogpAvg, double lastChosenLogpAvg) {}

    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

    private final TrainConfig c;
    private final Mode mode;
    private final PrintStream console;
    private IntPredicate poisonedSteps = step -> false;

    /**
     * Creates a trainer.
     *
     * @param config the validated config
     * @param mode how to treat an existing output folder
     * @param console where the progress bar goes (null for none)
     */
    public Trainer(TrainConfig config, Mode mode, PrintStream console) {
        this.c = config;
        this.mode = mode;
        this.console = console;
    }

    /**
     * Makes the loss of the given (1-based) steps NaN, to exercise the bad-step handling.
     *
     * @param steps which steps
     * @return this
     */
    public Trainer withPoisonedSteps(IntPredicate steps) {
        this.poisonedSteps = steps;
        return this;
    }

    /**
     * Runs the training.
     *
     * @return what happened
     * @throws IOException if a file cannot be read or written
     */
    public Result run() throws IOException {
        OfflineEngine.configure();
        RunFolder folder = RunFolder.prepare(Paths.get(c.outputDir), mode);
        RunModels.check(c);
        PreferenceLoss loss = PreferenceLosses.create(c.lossType, c.lossHyperparameters());
        checkReferenceUse(loss);
        Path tokenizerDir = RunModels.tokenizerDir(c);
        TrainingData data = TrainingData.load(c, tokenizerDir);
        if (data.unpaired() && loss.unpaired().isEmpty()) {
            throw new IllegalArgumentException("the data holds unpaired examples; loss_type " + c.lossType + " has no unpaired form");
        }
        if (data.unpaired() && c.precomputeRefLogProbs) {
            throw new IllegalArgumentException("precompute_ref_log_probs is for paired data; unpaired KTO scores each batch with the reference model");
        }
        LOG.info("data: {} training {}, {} evaluation; {}", data.trainSize(), data.unpaired() ? "examples (unpaired)" : "pairs",
                data.unpaired() ? data.evalUnpaired().size() : data.eval().size(), data.report().summary().replace("\n", "; "));
        folder.writeRunInfo(c, loss.toString());

        try (NDManager root = OfflineEngine.newManager(Devices.parse(c.device))) {
            LOG.info("device: {}", Devices.name(root.getDevice()));
            RowLayout layout = RowLayout.of(data.padId(), c.prefixSharing);
            SequenceLogprobs logprobs = new SequenceLogprobs(c.logitsChunkSize);
            CausalLm policy = RunModels.policy(c, folder.resumeFrom(), root);
            try (Reference reference = reference(loss, data, layout, policy, root)) {
                policy.setTrainable(true);
                PairScorer scorer = new PairScorer(policy, reference, layout, logprobs);
                Objective objective = data.unpaired()
                        ? new UnpairedObjective(scorer, loss.unpaired().orElseThrow(), data, c.perDeviceEvalBatchSize, root)
                        : new PairObjective(scorer, loss, data, c.perDeviceEvalBatchSize, root);
                Map<String, NDArray> params = policy.trainableParameters();
                AdamW optimizer = new AdamW(params, root, c.adamBeta1, c.adamBeta2, c.adamEpsilon, c.weightDecay);
                TrainerState state = new TrainerState();
                state.seed = c.seed;
                if (folder.resumeFrom().isPresent()) {
                    Path ckpt = folder.resumeFrom().get();
                    state = Checkpoints.state(ckpt);
                    Checkpoints.restoreOptimizer(ckpt, optimizer, state.adamSteps);
                    MetricsLog.truncateAfter(folder.dir(), state.globalStep);
                    LOG.info("resuming from {} at step {}", ckpt, state.globalStep);
                }
                Finding finding = new Finding();
                TrainerState runState = state;
                List<TrainingListener> listeners = new ArrayList<>();
                try (MetricsFileListener metrics = new MetricsFileListener(folder.dir(), c.loggingSteps, finding::observe)) {
                    listeners.add(metrics);
                    listeners.add(new ProgressBar(console, c.progressBar && console != null));
                    listeners.add(new CheckpointListener(c.saveSteps,
                            () -> Checkpoints.save(folder.dir(), policy, optimizer, runState, tokenizerDir, c.saveTotalLimit)));
                    if (policy.adapters() != null) {
                        listeners.add(new AdapterDropoutSeeds(policy.adapters(), c.seed));
                    }
                    TrainingLoop loop = new TrainingLoop(objective, params, optimizer, state, loopSettings(), c.learningRate, c.warmupRatio, c.lrSchedulerType, listeners)
                            .poisoning(poisonedSteps)
                            .lastCheckpoint(() -> lastCheckpoint(folder.dir()));
                    loop.run();
                }
                policy.setTrainable(false);
                Checkpoints.saveModel(folder.dir(), policy, c.saveDtype.equals("bfloat16") ? DType.BF16 : DType.F32, 5L << 30, tokenizerDir);
                if (c.plots) {
                    TrainingPlots.write(folder.dir());
                }
                return finding.result(folder.dir(), state);
            }
        }
    }

    private void checkReferenceUse(PreferenceLoss loss) {
        if (loss.inputs().contains(LossInput.MISMATCHED_PAIRS) && c.precomputeRefLogProbs) {
            throw new IllegalArgumentException("loss " + c.lossType + " scores mismatched pairs with the reference on every batch (kto estimating z0),"
                    + " so the reference must stay in memory: set precompute_ref_log_probs: false" + (loss.hyperparameters().containsKey("z0") ? ", or give z0" : ""));
        }
    }

    /** The reference the loss asks for: none, a live frozen model, or sums precomputed once. */
    private Reference reference(PreferenceLoss loss, TrainingData data, RowLayout layout, CausalLm policy, NDManager root) throws IOException {
        boolean needed = loss.inputs().contains(LossInput.REFERENCE) || (data.unpaired() && loss.unpaired().isPresent());
        if (!needed) {
            return Reference.NONE;
        }
        CausalLm model = RunModels.reference(c, policy, root);
        if (!c.precomputeRefLogProbs) {
            return new LiveReference(model, new SequenceLogprobs(c.logitsChunkSize), true);
        }
        try (model) {
            List<TokenizedPair> all = new ArrayList<>(data.train());
            all.addAll(data.eval());
            Path cache = c.refCacheDir != null ? Paths.get(c.refCacheDir) : Paths.get(System.getProperty("user.home"), ".cache", "dgpo", "ref-logps");
            return PrecomputedReference.precompute(model, all, layout, c.perDeviceEvalBatchSize, c.logitsChunkSize, cache, root);
        }
    }

    private TrainingLoop.Settings loopSettings() {
        return new TrainingLoop.Settings(c.perDeviceTrainBatchSize, c.gradientAccumulationSteps, c.maxSteps, c.numTrainEpochs, c.maxGradNorm, c.evalSteps,
                c.maxConsecutiveBadSteps, c.seed, c.groupByLength);
    }

    private static String lastCheckpoint(Path runDir) {
        try {
            return Checkpoints.newest(runDir).map(Path::toString).orElse("(none yet)");
        } catch (IOException e) {
            return "(unknown)";
        }
    }

    /** The end-of-run finding: the first and last logged chosen per-token log-probability. */
    private static final class Finding {
        private double first = Double.NaN;
        private double last = Double.NaN;

        void observe(double chosen) {
            if (Double.isNaN(first)) {
                first = chosen;
            }
            last = chosen;
        }

        Result result(Path runDir, TrainerState state) {
            if (!Double.isNaN(first)) {
                LOG.info("finding: the chosen per-token log-probability {} from {} to {} over the run (logps_avg/chosen)", last > first ? "rose" : "fell",
                        String.format("%.4f", first), String.format("%.4f", last));
            }
            return new Result(runDir, state.globalStep, state.skippedSteps, first, last);
        }
    }
}
