package io.github.dgpo.train.run;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dgpo.core.OfflineEngine;
import io.github.dgpo.core.logprobs.SequenceLogprobs;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.model.ModelConfig;
import io.github.dgpo.core.safetensors.DType;
import io.github.dgpo.core.util.ProcessMemory;
import io.github.dgpo.data.batch.BatchSampler;
import io.github.dgpo.data.batch.Collator;
import io.github.dgpo.data.batch.PaddedBatch;
import io.github.dgpo.data.tokenize.TokenizedExample;
import io.github.dgpo.data.tokenize.TokenizedPair;
import io.github.dgpo.losses.LossInput;
import io.github.dgpo.losses.LossOutput;
import io.github.dgpo.losses.PairLogps;
import io.github.dgpo.losses.PreferenceLoss;
import io.github.dgpo.losses.PreferenceLosses;
import io.github.dgpo.losses.UnpairedLogps;
import io.github.dgpo.train.config.ConfigLoader;
import io.github.dgpo.train.config.TrainConfig;
import io.github.dgpo.train.optim.AdamW;
import io.github.dgpo.train.optim.Gradients;
import io.github.dgpo.train.optim.LearningRateSchedule;
import io.github.dgpo.train.plot.TrainingPlots;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntPredicate;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The preference trainer, written directly on DJL: one concatenated forward of chosen and
 * rejected rows through the policy, sequence log-probabilities through the chunked head, the
 * loss, backward (the loss's gradient with respect to the sums injected through {@link
 * SequenceLogprobs.Result#backward}), global-norm clipping, AdamW and a warmup schedule, with
 * gradient accumulation, reference log-probabilities (frozen model, precomputed, or none),
 * metrics, plots, crash-safe checkpoints and resume.
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
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

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
        Path runDir = Paths.get(c.outputDir);
        Optional<Path> resumeFrom = prepareOutputDir(runDir);
        Path tokenizerDir = Paths.get(c.tokenizerNameOrPath != null ? c.tokenizerNameOrPath : c.modelNameOrPath != null ? c.modelNameOrPath : "");
        if (c.modelNameOrPath != null && !Files.isDirectory(Paths.get(c.modelNameOrPath))) {
            throw new IllegalArgumentException("model_name_or_path " + c.modelNameOrPath + ": model folder does not exist");
        }
        if (c.randomModel != null && c.tokenizerNameOrPath == null) {
            throw new IllegalArgumentException("random_model needs tokenizer_name_or_path");
        }
        PreferenceLoss loss = PreferenceLosses.create(c.lossType, c.lossHyperparameters());
        boolean mismatched = loss.inputs().contains(LossInput.MISMATCHED_PAIRS);
        if (mismatched && c.precomputeRefLogProbs) {
            throw new IllegalArgumentException("kto estimating z0 needs the reference model in memory: set precompute_ref_log_probs: false, or give z0");
        }
        TrainingData data = TrainingData.load(c, tokenizerDir);
        if (data.unpaired() && c.precomputeRefLogProbs) {
            throw new IllegalArgumentException("precompute_ref_log_probs is for paired data; unpaired KTO scores each batch with the reference model");
        }
        LOG.info("data: {} training {}, {} evaluation; {}", data.trainSize(), data.unpaired() ? "examples (unpaired)" : "pairs",
                data.unpaired() ? data.evalUnpaired().size() : data.eval().size(), data.report().summary().replace("\n", "; "));
        writeRunInfo(runDir, loss);

        try (NDManager root = OfflineEngine.newManager()) {
            CausalLm policy = resumeFrom.isPresent() ? CausalLm.load(resumeFrom.get(), root) : initialPolicy(root);
            CausalLm liveReference = null;
            ReferenceLogps precomputed = null;
            if (loss.requiresReference()) {
                CausalLm reference = initialReference(root);
                if (c.precomputeRefLogProbs) {
                    List<TokenizedPair> all = new ArrayList<>(data.train());
                    all.addAll(data.eval());
                    Path cache = c.refCacheDir != null ? Paths.get(c.refCacheDir) : Paths.get(System.getProperty("user.home"), ".cache", "dgpo", "ref-logps");
                    precomputed = ReferenceLogps.precompute(reference, all, data.padId(), c.perDeviceEvalBatchSize, c.logitsChunkSize, cache, root);
                    reference.close();
                } else {
                    liveReference = reference;
                }
            }
            policy.setTrainable(true);
            Map<String, NDArray> params = policy.parameters();
            AdamW optimizer = new AdamW(params, root, c.adamBeta1, c.adamBeta2, c.adamEpsilon, c.weightDecay);
            TrainerState state = new TrainerState();
            state.seed = c.seed;
            if (resumeFrom.isPresent()) {
                state = Checkpoints.state(resumeFrom.get());
                Checkpoints.restoreOptimizer(resumeFrom.get(), optimizer, state.adamSteps);
                MetricsLog.truncateAfter(runDir, state.globalStep);
                LOG.info("resuming from {} at step {}", resumeFrom.get(), state.globalStep);
            }
            Loop loop = new Loop(policy, liveReference, precomputed, loss, data, optimizer, state, runDir, tokenizerDir, root);
            loop.train();
            policy.setTrainable(false);
            policy.save(runDir, c.saveDtype.equals("bfloat16") ? DType.BF16 : DType.F32, 5L << 30, tokenizerDir);
            if (c.plots) {
                TrainingPlots.write(runDir);
            }
            return loop.summary();
        }
    }

    private Optional<Path> prepareOutputDir(Path runDir) throws IOException {
        boolean occupied = Files.isDirectory(runDir) && !isEmpty(runDir);
        if (mode == Mode.RESUME) {
            Optional<Path> ckpt = Checkpoints.newest(runDir);
            if (ckpt.isEmpty()) {
                throw new IllegalArgumentException(runDir + ": no complete checkpoint to resume from");
            }
            return ckpt;
        }
        if (occupied && mode == Mode.FRESH) {
            throw new IllegalArgumentException("output_dir " + runDir + " already holds a run; use --resume to continue it or --overwrite to replace it");
        }
        if (occupied) {
            try (Stream<Path> s = Files.list(runDir)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    Checkpoints.deleteTree(p);
                }
            }
        }
        Files.createDirectories(runDir);
        return Optional.empty();
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    private CausalLm initialPolicy(NDManager root) throws IOException {
        if (c.modelNameOrPath != null) {
            return CausalLm.load(Paths.get(c.modelNameOrPath), root);
        }
        return CausalLm.random(randomConfig(), c.modelSeed, root);
    }

    private CausalLm initialReference(NDManager root) throws IOException {
        CausalLm ref = c.refModelNameOrPath != null ? CausalLm.load(Paths.get(c.refModelNameOrPath), root) : initialPolicy(root);
        ref.setTrainable(false);
        return ref;
    }

    private ModelConfig randomConfig() {
        Object arch = c.randomModel.getOrDefault("architecture", "llama");
        io.github.dgpo.core.model.Architecture a = io.github.dgpo.core.model.Architecture.find(arch.toString());
        if (a == null) {
            throw new IllegalArgumentException("random_model.architecture '" + arch + "' is not supported; supported: " + io.github.dgpo.core.model.Architecture.supported());
        }
        ModelConfig.Builder b = ModelConfig.builder(a);
        c.randomModel.forEach((k, v) -> {
            if (!k.equals("architecture")) {
                b.set(k, v);
            }
        });
        return b.build();
    }

    private void writeRunInfo(Path runDir, PreferenceLoss loss) throws IOException {
        ConfigLoader.YAML.writeValue(runDir.resolve("run_config.yaml").toFile(), c);
        ObjectNode info = JSON.createObjectNode();
        info.put("dgpo_version", Optional.ofNullable(Trainer.class.getPackage().getImplementationVersion()).orElse("0.1.0-SNAPSHOT"));
        info.put("djl_version", Engine.getDjlVersion());
        info.put("pytorch_version", OfflineEngine.engine().getVersion());
        info.put("java_version", System.getProperty("java.version"));
        info.put("git_commit", gitCommit());
        info.put("seed", c.seed);
        info.put("loss", loss.toString());
        info.put("started", java.time.Instant.now().toString());
        JSON.writeValue(runDir.resolve("run_info.json").toFile(), info);
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

    /** The training loop's state and steps. */
    private final class Loop {
        private final CausalLm policy;
        private final CausalLm reference;
        private final ReferenceLogps precomputed;
        private final PreferenceLoss loss;
        private final TrainingData data;
        private final AdamW optimizer;
        private final TrainerState state;
        private final Path runDir;
        private final Path tokenizerDir;
        private final NDManager root;
        private final Collator collator;
        private final SequenceLogprobs logprobs;
        private final BatchSampler sampler;
        private final int stepsPerEpoch;
        private final int totalSteps;
        private final LearningRateSchedule schedule;
        private final MetricsWindow window = new MetricsWindow();
        private double windowGradNorm;
        private int windowSteps;
        private long windowTokens;
        private long windowStart = System.nanoTime();
        private double firstChosen = Double.NaN;
        private double lastChosen = Double.NaN;

        Loop(CausalLm policy, CausalLm reference, ReferenceLogps precomputed, PreferenceLoss loss, TrainingData data, AdamW optimizer,
                TrainerState state, Path runDir, Path tokenizerDir, NDManager root) {
            this.policy = policy;
            this.reference = reference;
            this.precomputed = precomputed;
            this.loss = loss;
            this.data = data;
            this.optimizer = optimizer;
            this.state = state;
            this.runDir = runDir;
            this.tokenizerDir = tokenizerDir;
            this.root = root;
            this.collator = new Collator(data.padId());
            this.logprobs = new SequenceLogprobs(c.logitsChunkSize);
            int[] lengths = data.unpaired()
                    ? data.trainUnpaired().stream().mapToInt(e -> e.prompt().length + e.completion().length).toArray()
                    : data.train().stream().mapToInt(TokenizedPair::maxRowLength).toArray();
            this.sampler = new BatchSampler(lengths, c.perDeviceTrainBatchSize, c.seed, c.groupByLength);
            this.stepsPerEpoch = (sampler.batchesPerEpoch() + c.gradientAccumulationSteps - 1) / c.gradientAccumulationSteps;
            this.totalSteps = c.maxSteps > 0 ? c.maxSteps : (int) Math.ceil(c.numTrainEpochs * stepsPerEpoch);
            this.state.totalSteps = totalSteps;
            this.schedule = new LearningRateSchedule(c.learningRate, c.warmupRatio, totalSteps, c.lrSchedulerType);
        }

        void train() throws IOException {
            ProgressBar bar = new ProgressBar(console, totalSteps, state.globalStep, c.progressBar && console != null);
            try (MetricsLog log = new MetricsLog(runDir)) {
                List<int[]> epochBatches = sampler.epoch(state.epoch);
                while (state.globalStep < totalSteps) {
                    if (state.batchPosition >= epochBatches.size()) {
                        state.epoch++;
                        state.batchPosition = 0;
                        epochBatches = sampler.epoch(state.epoch);
                    }
                    int end = Math.min(epochBatches.size(), state.batchPosition + c.gradientAccumulationSteps);
                    List<int[]> micro = epochBatches.subList(state.batchPosition, end);
                    double lossValue = step(micro);
                    state.batchPosition = end;
                    state.globalStep++;
                    bar.update(state.globalStep, lossValue, window.isEmpty() ? Double.NaN : window.means().getOrDefault("rewards/accuracies", Double.NaN));
                    if (state.globalStep % c.loggingSteps == 0 || state.globalStep == totalSteps) {
                        log.write(logLine());
                    }
                    if (c.evalSteps > 0 && state.globalStep % c.evalSteps == 0 && hasEval()) {
                        log.write(evaluate());
                    }
                    if (c.saveSteps > 0 && state.globalStep % c.saveSteps == 0 && state.globalStep < totalSteps) {
                        checkpoint();
                    }
                }
                if (hasEval() && (c.evalSteps == 0 || totalSteps % c.evalSteps != 0)) {
                    log.write(evaluate());
                }
            }
            checkpoint();
        }

        private boolean hasEval() {
            return data.unpaired() ? !data.evalUnpaired().isEmpty() : !data.eval().isEmpty();
        }

        private void checkpoint() throws IOException {
            state.adamSteps = optimizer.steps();
            Path saved = Checkpoints.save(runDir, policy, optimizer, state, tokenizerDir, c.saveTotalLimit);
            LOG.info("saved {}", saved);
        }

        /** One optimizer update over the micro-batches; returns the mean loss. */
        private double step(List<int[]> micro) {
            int pairsInStep = micro.stream().mapToInt(b -> b.length).sum();
            double lossSum = 0;
            boolean finite = true;
            for (int[] batch : micro) {
                double scale = batch.length / (double) pairsInStep;
                double l = microStep(batch, scale);
                lossSum += l * scale;
                finite &= Double.isFinite(l);
            }
            Map<String, NDArray> params = policy.parameters();
            double norm = Gradients.globalNorm(params);
            if (!finite || !Double.isFinite(norm)) {
                Gradients.zero(params);
                state.skippedSteps++;
                state.consecutiveBadSteps++;
                LOG.warn("step {}: non-finite {} ({}); skipped ({} in a row, {} in all)", state.globalStep + 1, finite ? "gradient norm" : "loss",
                        finite ? norm : lossSum, state.consecutiveBadSteps, state.skippedSteps);
                if (state.consecutiveBadSteps >= c.maxConsecutiveBadSteps) {
                    throw new TrainingAbortedException("stopping: " + state.consecutiveBadSteps + " consecutive steps with a non-finite loss or gradient (max_consecutive_bad_steps="
                            + c.maxConsecutiveBadSteps + "); the last good checkpoint is " + lastCheckpoint());
                }
                return lossSum;
            }
            state.consecutiveBadSteps = 0;
            Gradients.clip(params, norm, c.maxGradNorm);
            optimizer.step(params, schedule.at(state.globalStep));
            Gradients.zero(params);
            windowGradNorm += norm;
            windowSteps++;
            return lossSum;
        }

        private String lastCheckpoint() {
            try {
                return Checkpoints.newest(runDir).map(Path::toString).orElse("(none yet)");
            } catch (IOException e) {
                return "(unknown)";
            }
        }

        /** A collated batch's arrays, created once and shared by the policy and reference passes. */
        private record Rows(NDArray ids, NDArray attention, NDArray completion) {
            static Rows of(NDManager m, PaddedBatch b) {
                return new Rows(m.create(b.inputIds()), m.create(b.attentionMask()), m.create(b.completionMask()));
            }

            SequenceLogprobs.Result score(SequenceLogprobs logprobs, CausalLm model) {
                return logprobs.compute(model, ids, attention, completion);
            }
        }

        /** Forward and backward of one micro-batch, gradients scaled by its share of the step. */
        private double microStep(int[] indices, double scale) {
            if (data.unpaired()) {
                return microStepUnpaired(indices, scale);
            }
            List<TokenizedPair> pairs = new ArrayList<>();
            for (int i : indices) {
                pairs.add(data.train().get(i));
            }
            PaddedBatch batch = collator.pairs(pairs);
            int b = pairs.size();
            try (NDManager m = root.newSubManager()) {
                Rows rows = Rows.of(m, batch);
                float[][] refs = referenceSums(rows, indices);
                float[][] mis = mismatchedSums(m, pairs);
                double lossValue;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    SequenceLogprobs.Result res = rows.score(logprobs, policy);
                    float[] sums = res.sums().toFloatArray();
                    float[] counts = res.counts().toFloatArray();
                    NDArray sw = m.create(Arrays.copyOfRange(sums, 0, b));
                    NDArray sl = m.create(Arrays.copyOfRange(sums, b, 2 * b));
                    sw.setRequiresGradient(true);
                    sl.setRequiresGradient(true);
                    PairLogps logps = PairLogps.of(sw, sl, m.create(Arrays.copyOfRange(counts, 0, b)), m.create(Arrays.copyOfRange(counts, b, 2 * b)));
                    if (refs != null) {
                        logps = logps.withReference(m.create(refs[0]), m.create(refs[1]));
                    }
                    if (mis != null) {
                        logps = logps.withMismatched(m.create(mis[0]), m.create(mis[1]));
                    }
                    LossOutput out = loss.compute(logps);
                    lossValue = out.loss().getFloat();
                    if (poisonedSteps.test(state.globalStep + 1)) {
                        lossValue = Double.NaN;
                    }
                    gc.backward(out.loss().mul(io.github.dgpo.core.Scalars.constant(out.loss(), scale)));
                    res.backward(gc, sw.getGradient().concat(sl.getGradient()));
                    window.add(out.metrics(), b);
                }
                windowTokens += batch.tokens();
                return lossValue;
            }
        }

        /**
         * KTO on unpaired examples: one row per example; the reference scores each batch; {@code
         * z0} from prompt {@code i} with the completion of example {@code (i+1) mod B}.
         */
        private double microStepUnpaired(int[] indices, double scale) {
            List<TokenizedExample> examples = new ArrayList<>();
            for (int i : indices) {
                examples.add(data.trainUnpaired().get(i));
            }
            try (NDManager m = root.newSubManager()) {
                PaddedBatch batch = collator.unpaired(examples);
                Rows rows = Rows.of(m, batch);
                UnpairedScores u = unpairedInputs(m, examples, rows);
                double lossValue;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    SequenceLogprobs.Result res = rows.score(logprobs, policy);
                    NDArray s = m.create(res.sums().toFloatArray());
                    s.setRequiresGradient(true);
                    LossOutput out = loss.unpaired().orElseThrow().computeUnpaired(new UnpairedLogps(s, m.create(u.reference()), m.create(u.desirable()), u.mismatched(), u.mismatchedRef()));
                    lossValue = out.loss().getFloat();
                    if (poisonedSteps.test(state.globalStep + 1)) {
                        lossValue = Double.NaN;
                    }
                    gc.backward(out.loss().mul(io.github.dgpo.core.Scalars.constant(out.loss(), scale)));
                    res.backward(gc, s.getGradient());
                    window.add(out.metrics(), examples.size());
                    windowTokens += batch.tokens();
                }
                return lossValue;
            }
        }

        /** Inputs of the unpaired loss scored without gradient. */
        private record UnpairedScores(float[] reference, boolean[] desirable, NDArray mismatched, NDArray mismatchedRef) {}

        private UnpairedScores unpairedInputs(NDManager m, List<TokenizedExample> examples, Rows rows) {
            float[] ref = rows.score(logprobs, reference).sums().toFloatArray();
            boolean[] desirable = new boolean[examples.size()];
            for (int i = 0; i < desirable.length; i++) {
                desirable[i] = examples.get(i).desirable();
            }
            NDArray mis = null;
            NDArray misRef = null;
            if (loss.unpaired().orElseThrow().needsMismatchedExamples() && examples.size() > 1) {
                List<TokenizedExample> shifted = new ArrayList<>();
                for (int i = 0; i < examples.size(); i++) {
                    TokenizedExample next = examples.get((i + 1) % examples.size());
                    shifted.add(new TokenizedExample(examples.get(i).prompt(), next.completion(), next.desirable(), false, null));
                }
                Rows shiftedRows = Rows.of(m, collator.unpaired(shifted));
                mis = m.create(shiftedRows.score(logprobs, policy).sums().toFloatArray());
                misRef = m.create(shiftedRows.score(logprobs, reference).sums().toFloatArray());
            }
            return new UnpairedScores(ref, desirable, mis, misRef);
        }

        private float[][] referenceSums(Rows rows, int[] indices) {
            if (!loss.requiresReference()) {
                return null;
            }
            if (precomputed != null) {
                float[] c0 = new float[indices.length];
                float[] r0 = new float[indices.length];
                for (int i = 0; i < indices.length; i++) {
                    c0[i] = precomputed.chosen()[indices[i]];
                    r0[i] = precomputed.rejected()[indices[i]];
                }
                return new float[][] {c0, r0};
            }
            float[] sums = rows.score(logprobs, reference).sums().toFloatArray();
            int b = indices.length;
            return new float[][] {Arrays.copyOfRange(sums, 0, b), Arrays.copyOfRange(sums, b, 2 * b)};
        }

        /** KTO: prompt i with the chosen completion of pair (i+1) mod B, scored by policy and reference without gradient. */
        private float[][] mismatchedSums(NDManager m, List<TokenizedPair> pairs) {
            if (!loss.inputs().contains(LossInput.MISMATCHED_PAIRS) || pairs.size() < 2) {
                return null;
            }
            List<TokenizedPair> shifted = new ArrayList<>();
            for (int i = 0; i < pairs.size(); i++) {
                TokenizedPair next = pairs.get((i + 1) % pairs.size());
                shifted.add(new TokenizedPair(pairs.get(i).prompt(), next.chosen(), next.chosen(), false, null));
            }
            Rows rows = Rows.of(m, collator.pairs(shifted));
            int b = pairs.size();
            float[] p = rows.score(logprobs, policy).sums().toFloatArray();
            float[] r = rows.score(logprobs, reference).sums().toFloatArray();
            return new float[][] {Arrays.copyOfRange(p, 0, b), Arrays.copyOfRange(r, 0, b)};
        }

        private Map<String, Object> logLine() {
            Map<String, Object> line = stepFields();
            Map<String, Double> means = window.means();
            means.forEach(line::put);
            line.put("grad_norm", windowSteps == 0 ? Double.NaN : windowGradNorm / windowSteps);
            line.put("learning_rate", schedule.at(state.globalStep - 1));
            double seconds = (System.nanoTime() - windowStart) / 1e9;
            line.put("tokens_per_second", windowTokens / Math.max(seconds, 1e-9));
            line.put("peak_rss_mb", ProcessMemory.peakMb());
            line.put("skipped_steps", state.skippedSteps);
            Double chosen = means.get("logps_avg/chosen");
            if (chosen != null) {
                if (Double.isNaN(firstChosen)) {
                    firstChosen = chosen;
                }
                lastChosen = chosen;
            }
            window.clear();
            windowGradNorm = 0;
            windowSteps = 0;
            windowTokens = 0;
            windowStart = System.nanoTime();
            return line;
        }

        /** Loss metrics of the evaluation pairs (no gradient), keys prefixed {@code eval_}. */
        private Map<String, Object> evaluate() {
            if (data.unpaired()) {
                return evaluateUnpaired();
            }
            MetricsWindow ev = new MetricsWindow();
            int offset = data.train().size();
            List<TokenizedPair> eval = data.eval();
            for (int start = 0; start < eval.size(); start += c.perDeviceEvalBatchSize) {
                int end = Math.min(eval.size(), start + c.perDeviceEvalBatchSize);
                List<TokenizedPair> part = eval.subList(start, end);
                int[] indices = new int[part.size()];
                for (int i = 0; i < indices.length; i++) {
                    indices[i] = offset + start + i;
                }
                PaddedBatch batch = collator.pairs(part);
                try (NDManager m = root.newSubManager()) {
                    Rows rows = Rows.of(m, batch);
                    float[] sums = rows.score(logprobs, policy).sums().toFloatArray();
                    int b = part.size();
                    float[] counts = new float[2 * b];
                    for (int i = 0; i < 2 * b; i++) {
                        counts[i] = Arrays.stream(batch.completionMask()[i]).sum();
                    }
                    PairLogps logps = PairLogps.of(m.create(Arrays.copyOfRange(sums, 0, b)), m.create(Arrays.copyOfRange(sums, b, 2 * b)),
                            m.create(Arrays.copyOfRange(counts, 0, b)), m.create(Arrays.copyOfRange(counts, b, 2 * b)));
                    float[][] refs = referenceSums(rows, indices);
                    if (refs != null) {
                        logps = logps.withReference(m.create(refs[0]), m.create(refs[1]));
                    }
                    float[][] mis = mismatchedSums(m, part);
                    if (mis != null) {
                        logps = logps.withMismatched(m.create(mis[0]), m.create(mis[1]));
                    }
                    ev.add(loss.compute(logps).metrics(), b);
                }
            }
            return evalLine(ev, "eval_pairs", eval.size());
        }

        private Map<String, Object> evaluateUnpaired() {
            MetricsWindow ev = new MetricsWindow();
            List<TokenizedExample> eval = data.evalUnpaired();
            for (int start = 0; start < eval.size(); start += c.perDeviceEvalBatchSize) {
                List<TokenizedExample> part = eval.subList(start, Math.min(eval.size(), start + c.perDeviceEvalBatchSize));
                try (NDManager m = root.newSubManager()) {
                    Rows rows = Rows.of(m, collator.unpaired(part));
                    UnpairedScores u = unpairedInputs(m, part, rows);
                    float[] s = rows.score(logprobs, policy).sums().toFloatArray();
                    ev.add(loss.unpaired().orElseThrow().computeUnpaired(new UnpairedLogps(m.create(s), m.create(u.reference()), m.create(u.desirable()), u.mismatched(), u.mismatchedRef())).metrics(),
                            part.size());
                }
            }
            return evalLine(ev, "eval_examples", eval.size());
        }

        /** The fields every metrics line starts with. */
        private Map<String, Object> stepFields() {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("step", state.globalStep);
            line.put("epoch", state.globalStep / (double) stepsPerEpoch);
            return line;
        }

        /** An evaluation line: the window's means prefixed {@code eval_}, and the example count. */
        private Map<String, Object> evalLine(MetricsWindow ev, String countKey, int count) {
            Map<String, Object> line = stepFields();
            ev.means().forEach((k, v) -> line.put("eval_" + k, v));
            line.put(countKey, count);
            return line;
        }

        Result summary() {
            if (!Double.isNaN(firstChosen)) {
                String direction = lastChosen > firstChosen ? "rose" : "fell";
                LOG.info("finding: the chosen per-token log-probability {} from {} to {} over the run (logps_avg/chosen)", direction,
                        String.format("%.4f", firstChosen), String.format("%.4f", lastChosen));
            }
            return new Result(runDir, state.globalStep, state.skippedSteps, firstChosen, lastChosen);
        }
    }
}
