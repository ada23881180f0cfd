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
     * @param finding the paired changes from step 0 to the end of the chosen and rejected
     *     per-token log-probabilities on the training probe pairs and the held-out pairs (empty
     *     without probes)
     */
    public record Result(Path outputDir, int steps, int skippedSteps, List<PairChange> finding) {

        /**
         * The change of the chosen per-token log-probability on the held-out pairs, else on the
         * training probe pairs.
         *
         * @return the change, if probes ran
         */
        public java.util.Optional<PairChange> chosenChange() {
            return finding.stream().filter(c -> c.what().equals(PairChange.perTokenLogp("chosen", true))).findFirst()
                    .or(() -> finding.stream().filter(c -> c.what().equals(PairChange.perTokenLogp("chosen", false))).findFirst());
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

    private final TrainConfig c;
    private final Mode mode;
    private final PrintStream console;
    private IntPredicate poisonedSteps = step -> false;
    private boolean force;
    private final List<TrainingListener> extraListeners = new ArrayList<>();

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
     * Lets {@link Mode#OVERWRITE} replace an output folder that does not look like a dgpo run
     * (it never replaces a folder that is or holds one of the run's inputs).
     *
     * @param force whether to
     * @return this
     */
    public Trainer force(boolean force) {
        this.force = force;
        return this;
    }

    /**
     * Adds a listener that follows the run besides the trainer's own (metrics file, progress,
     * checkpoints).
     *
     * @param listener the listener
     * @return this
     */
    public Trainer withListener(TrainingListener listener) {
        extraListeners.add(listener);
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
        RunModels.check(c);
        PreferenceLoss loss = c.loss();
        checkReferenceUse(loss);
        Path tokenizerDir = RunModels.tokenizerDir(c);
        TrainingData data = TrainingData.load(c, tokenizerDir);
        if (data.unpaired() && loss.unpaired().isEmpty()) {
            throw new IllegalArgumentException("the data holds unpaired examples; loss_type " + c.lossName() + " has no unpaired form");
        }
        if (data.unpaired() && c.precomputeRefLogProbs) {
            throw new IllegalArgumentException("precompute_ref_log_probs is for paired data; unpaired KTO scores each batch with the reference model");
        }
        data.checkVocabulary(RunModels.policyConfig(c).vocabSize(), tokenizerDir);
        LOG.info("data: {} training {}, {} evaluation; {}", data.trainSize(), data.unpaired() ? "examples (unpaired)" : "pairs",
                data.unpaired() ? data.evalUnpaired().size() : data.eval().size(), data.report().summary().replace("\n", "; "));
        try (RunFolder folder = RunFolder.prepare(Paths.get(c.outputDir), mode, force, RunModels.inputs(c))) {
            try {
                folder.writeRunInfo(c, loss.toString());
                return train(folder, loss, data, tokenizerDir);
            } catch (RuntimeException | IOException | Error e) {
                folder.restore();
                throw e;
            }
        }
    }

    private Result train(RunFolder folder, PreferenceLoss loss, TrainingData data, Path tokenizerDir) throws IOException {
        try (NDManager root = OfflineEngine.newManager(Devices.parse(c.device))) {
            LOG.info("device: {}", Devices.name(root.getDevice()));
            RowLayout layout = RowLayout.of(data.padId(), c.prefixSharing);
            if (c.ldAlpha != null) {
                layout = layout.withTailWeight(c.ldAlpha);
            }
            SequenceLogprobs logprobs = new SequenceLogprobs(c.logitsChunkSize);
            CausalLm policy = RunModels.policy(c, folder.resumeFrom(), root);
            try (Reference reference = reference(loss, data, layout, policy, root)) {
                policy.setTrainable(true);
                PairScorer scorer = new PairScorer(policy, reference, layout, logprobs);
                Objective objective = data.unpaired()
                        ? new UnpairedObjective(scorer, loss.unpaired().orElseThrow(), data, c.perDeviceEvalBatchSize, root)
                        : new PairObjective(scorer, loss, data, c.perDeviceEvalBatchSize, c.onePassHead, root);
                Map<String, NDArray> params = policy.trainableParameters();
                AdamW optimizer = new AdamW(params, root, c.adamBeta1, c.adamBeta2, c.adamEpsilon, c.weightDecay);
                TrainerState state = new TrainerState();
                state.seed = c.seed;
                if (folder.resumeFrom().isPresent()) {
                    Path ckpt = folder.resumeFrom().get();
                    state = Checkpoints.state(ckpt);
                    Checkpoints.restoreOptimizer(ckpt, optimizer, state.adamSteps);
                    Map<String, Double> saved = state.lossState;
                    loss.state().ifPresent(s -> s.restore(saved));
                    MetricsLog.truncateAfter(folder.dir(), state.globalStep);
                    LOG.info("resuming from {} at step {}", ckpt, state.globalStep);
                }
                TrainerState runState = state;
                List<TrainingListener> listeners = new ArrayList<>();
                ProbeListener probes;
                try (MetricsFileListener metrics = new MetricsFileListener(folder.dir(), c.loggingSteps)) {
                    listeners.add(new FolderGuard(folder));
                    listeners.add(metrics);
                    listeners.add(new ProgressBar(console, c.progressBar && console != null));
                    probes = probes(objective, state, metrics);
                    listeners.add(probes);
                    if (c.entanglementSteps > 0 && objective instanceof PairObjective pairs) {
                        listeners.add(entanglement(pairs, new GradientProbe(scorer, loss, params), params, metrics, root));
                    }
                    if (c.syncRefModel) {
                        listeners.add(new ReferenceSync(params, ((LiveReference) reference).model().parameters(), c.refModelMixupAlpha, c.refModelSyncSteps));
                    }
                    listeners.add(new CheckpointListener(c.saveSteps, () -> {
                        folder.checkIntact();
                        runState.lossState = loss.state().map(s -> s.save()).orElse(null);
                        return Checkpoints.save(folder.dir(), policy, optimizer, runState, tokenizerDir, c.saveTotalLimit);
                    }));
                    listeners.addAll(extraListeners);
                    if (policy.adapters() != null) {
                        listeners.add(new AdapterDropoutSeeds(policy.adapters(), c.seed));
                    }
                    TrainingLoop loop = new TrainingLoop(objective, params, optimizer, state, loopSettings(), c.learningRate, c.warmupRatio, c.lrSchedulerType, listeners)
                            .poisoning(poisonedSteps)
                            .lastCheckpoint(() -> lastCheckpoint(folder.dir()));
                    loop.run();
                }
                folder.checkIntact();
                folder.writeFinding(probes.finding());
                policy.setTrainable(false);
                Checkpoints.saveModel(folder.dir(), policy, c.saveDtype.equals("bfloat16") ? DType.BF16 : DType.F32, 5L << 30, tokenizerDir);
                if (c.plots) {
                    TrainingPlots.write(folder.dir());
                }
                return new Result(folder.dir(), state.globalStep, state.skippedSteps, probes.finding());
            }
        }
    }

    private void checkReferenceUse(PreferenceLoss loss) {
        if (c.syncRefModel && (c.precomputeRefLogProbs || !loss.inputs().contains(LossInput.REFERENCE))) {
            throw new IllegalArgumentException("sync_ref_model (TR-DPO) moves a live reference model towards the policy: it needs a loss that reads a reference ("
                    + c.lossName() + (loss.inputs().contains(LossInput.REFERENCE) ? " does" : " does not") + ") and precompute_ref_log_probs: false");
        }
        if (c.syncRefModel && c.usePeft) {
            throw new IllegalArgumentException("sync_ref_model (TR-DPO) updates a reference model's own weights, but with use_peft the reference is the shared base"
                    + " with the adapters off: train without use_peft to use TR-DPO");
        }
        if (loss.inputs().contains(LossInput.MISMATCHED_PAIRS) && c.precomputeRefLogProbs) {
            throw new IllegalArgumentException("loss " + c.lossName() + " scores mismatched pairs with the reference on every batch (kto estimating z0),"
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
            Path cache = c.refCacheDir != null ? Paths.get(c.refCacheDir) : io.github.dgpo.core.util.UserCache.folder("ref-logps");
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

    /** Checks the output folder before each step's files are written; the first step completes the replacement of an old run. */
    private static final class FolderGuard implements TrainingListener {
        private final RunFolder folder;

        FolderGuard(RunFolder folder) {
            this.folder = folder;
        }

        @Override
        public void onStepEnd(StepRecord step) {
            folder.checkIntact();
        }

        @Override
        public void onStepCompleted(int step, boolean last) {
            try {
                folder.started();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    /** Training probe pairs: a seeded sample of {@code probe_pairs} training pairs (none for unpaired data). */
    private ProbeListener probes(Objective objective, TrainerState state, MetricsFileListener metrics) {
        if (!(objective instanceof PairObjective pairs) || c.probePairs == 0) {
            return new ProbeListener(() -> null, 0, c.evalSteps, c.displacementThreshold, state, metrics, c.seed);
        }
        int[] keys = probeKeys(pairs.trainSize(), c.probePairs);
        List<TokenizedPair> sample = Objective.pick(pairs.trainPairs(), keys);
        return new ProbeListener(() -> pairs.evaluate(sample, keys), keys.length, c.evalSteps, c.displacementThreshold, state, metrics, c.seed);
    }

    /** The entanglement probe on the first {@code entanglement_pairs} of the probe sample. */
    private EntanglementListener entanglement(PairObjective pairs, GradientProbe probe, Map<String, NDArray> params, MetricsFileListener metrics, NDManager root) {
        int[] keys = probeKeys(pairs.trainSize(), Math.max(c.probePairs, c.entanglementPairs));
        keys = java.util.Arrays.copyOf(keys, Math.min(keys.length, c.entanglementPairs));
        return new EntanglementListener(probe, Objective.pick(pairs.trainPairs(), keys), keys, c.entanglementSteps, params, metrics, root);
    }

    /** A seeded sample of training pair indices, sorted. */
    private int[] probeKeys(int trainSize, int count) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < trainSize; i++) {
            order.add(i);
        }
        java.util.Collections.shuffle(order, new java.util.Random(c.seed ^ 0x5eed));
        return order.subList(0, Math.min(count, order.size())).stream().mapToInt(Integer::intValue).sorted().toArray();
    }
}
