package io.github.dgpo.train.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.core.OfflineEngine;
import io.github.dgpo.core.logprobs.SequenceLogprobs;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.model.ModelConfig;
import io.github.dgpo.core.util.ProcessMemory;
import io.github.dgpo.data.batch.RowLayout;
import io.github.dgpo.data.tokenize.TokenizedPair;
import io.github.dgpo.losses.LossInput;
import io.github.dgpo.losses.LossOutput;
import io.github.dgpo.losses.PreferenceLoss;
import io.github.dgpo.losses.PreferenceLosses;
import io.github.dgpo.train.config.TrainConfig;
import io.github.dgpo.train.optim.AdamW;
import io.github.dgpo.train.optim.Gradients;
import io.github.dgpo.train.plan.MemoryPlan;
import io.github.dgpo.train.plan.MemoryPlanner;
import io.github.dgpo.train.run.RunModels;
import io.github.dgpo.train.score.LiveReference;
import io.github.dgpo.train.score.PairScorer;
import io.github.dgpo.train.score.Reference;
import io.github.dgpo.train.score.ScoredPairs;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * Training-step time and peak resident memory of full float32 fine-tuning against LoRA, a
 * float16 base and activation checkpointing, on a random model (by default shaped like
 * Qwen2.5-0.5B: 24 layers, hidden 896, 14 heads, 2 KV heads, MLP 4,864, vocabulary 151,936,
 * tied) with random pairs. Each case (variant × loss) runs in its own JVM, so its peak resident
 * memory ({@code VmHWM}, native allocations included) is its own: one warm-up step, then timed
 * steps of the trainer's own pieces (the run's policy and reference from {@link RunModels}, the
 * {@link PairScorer}, the loss, backward, global-norm clipping, AdamW). Each case also reports
 * what {@link MemoryPlanner} predicts for the same config.
 */
public final class MemoryBenchmark {

    /** Result line marker of a case's process. */
    static final String RESULT = "MEMORY-BENCHMARK-RESULT ";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a variant changes. */
    public enum Variant {
        /** Full fine-tuning, float32. */
        FULL_FP32("full-fp32", false, "float32", false),
        /** Full fine-tuning, float32, activation checkpointing. */
        FULL_FP32_CHECKPOINTING("full-fp32-checkpointing", false, "float32", true),
        /** LoRA on a float32 base. */
        LORA("lora", true, "float32", false),
        /** LoRA on a float32 base, activation checkpointing. */
        LORA_CHECKPOINTING("lora-checkpointing", true, "float32", true),
        /** LoRA on a float16 base. */
        LORA_FP16("lora-fp16", true, "float16", false),
        /** LoRA on a float16 base, activation checkpointing. */
        LORA_FP16_CHECKPOINTING("lora-fp16-checkpointing", true, "float16", true);

        private final String label;
        private final boolean lora;
        private final String baseDtype;
        private final boolean checkpointing;

        Variant(String label, boolean lora, String baseDtype, boolean checkpointing) {
            this.label = label;
            this.lora = lora;
            this.baseDtype = baseDtype;
            this.checkpointing = checkpointing;
        }

        /** @return the name on the command line and in the output */
        public String label() {
            return label;
        }

        /**
         * Finds a variant by its label.
         *
         * @param label e.g. {@code lora-fp16-checkpointing}
         * @return the variant
         */
        public static Variant of(String label) {
            for (Variant v : values()) {
                if (v.label.equals(label)) {
                    return v;
                }
            }
            List<String> all = new ArrayList<>();
            for (Variant v : values()) {
                all.add(v.label);
            }
            throw new IllegalArgumentException("unknown variant '" + label + "'; known: " + String.join(", ", all));
        }
    }

    /**
     * The model's shape (a Qwen2 architecture with tied embeddings).
     *
     * @param layers decoder layers
     * @param hidden hidden size
     * @param intermediate MLP width
     * @param heads attention heads
     * @param kvHeads key/value heads
     * @param vocab vocabulary
     */
    public record Shape(int layers, int hidden, int intermediate, int heads, int kvHeads, int vocab) {
        /** Qwen2.5-0.5B's shape. */
        public static final Shape QWEN25_05B = new Shape(24, 896, 4864, 14, 2, 151936);
    }

    /**
     * The benchmark's settings.
     *
     * @param shape the model's shape
     * @param pairs pairs per step
     * @param tokens tokens per row (half prompt, half completion)
     * @param steps timed steps after one warm-up step
     * @param chunkSize {@code logits_chunk_size}
     * @param loraR LoRA rank
     * @param heapMb the child JVMs' {@code -Xmx}
     */
    public record Settings(Shape shape, int pairs, int tokens, int steps, int chunkSize, int loraR, int heapMb) {}

    /**
     * One case's outcome.
     *
     * @param variant the variant's label
     * @param loss {@code dgpo} or {@code dpo}
     * @param secondsPerStep mean time of the timed steps
     * @param peakRssMb the process's peak resident memory
     * @param baselineRssMb the process's resident memory with the engine loaded, before any model
     * @param predictedPeakMb the planner's prediction
     * @param predictedPhase the step phase the planner puts the peak in
     * @param error why the case's process failed (e.g. killed for lack of memory), or null
     */
    public record Case(String variant, String loss, double secondsPerStep, double peakRssMb, double baselineRssMb, double predictedPeakMb, String predictedPhase,
            String error) {}

    private MemoryBenchmark() {}

    /**
     * Runs every case in its own JVM, one after the other; a case whose process fails (for
     * instance killed for lack of memory) is reported with its error, and the others still run.
     *
     * @param s settings
     * @param variants the variants
     * @param losses the losses
     * @param progress where each finished case is reported (may be null)
     * @return the cases
     * @throws IOException if a process cannot be started or fails
     * @throws InterruptedException if interrupted while waiting
     */
    public static List<Case> run(Settings s, List<Variant> variants, List<String> losses, java.io.PrintWriter progress) throws IOException, InterruptedException {
        List<Case> cases = new ArrayList<>();
        for (Variant v : variants) {
            for (String loss : losses) {
                Case c;
                try {
                    c = runChild(s, v, loss);
                } catch (IOException e) {
                    Case p = predict(s, v, loss);
                    c = new Case(p.variant(), p.loss(), Double.NaN, Double.NaN, Double.NaN, p.predictedPeakMb(), p.predictedPhase(), e.getMessage());
                }
                if (progress != null) {
                    progress.printf("%s %s: %.2f s/step, peak %.0f MB (predicted %.0f MB)%s%n", c.variant(), c.loss(), c.secondsPerStep(), c.peakRssMb(), c.predictedPeakMb(),
                            c.error() == null ? "" : " FAILED: " + c.error());
                    progress.flush();
                }
                cases.add(c);
            }
        }
        return cases;
    }

    private static Case runChild(Settings s, Variant v, String loss) throws IOException, InterruptedException {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("settings", s);
        spec.put("variant", v.name());
        spec.put("loss", loss);
        List<String> cmd = List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + s.heapMb() + "m",
                "-cp", System.getProperty("java.class.path"), MemoryBenchmark.class.getName(), JSON.writeValueAsString(spec));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String result = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.startsWith(RESULT)) {
                    result = line.substring(RESULT.length());
                }
            }
        }
        int code = p.waitFor();
        if (code != 0 || result == null) {
            throw new IOException("benchmark case " + v.label() + " " + loss + " failed (exit code " + code + ")");
        }
        return JSON.readValue(result, Case.class);
    }

    /**
     * The planner's prediction of a case, without running it.
     *
     * @param s settings
     * @param v the variant
     * @param loss the loss
     * @return the case with its prediction only (NaN measurements)
     * @throws IOException never for a random model
     */
    public static Case predict(Settings s, Variant v, String loss) throws IOException {
        TrainConfig c = config(s, v, loss);
        MemoryPlan plan = MemoryPlanner.plan(RunModels.modelConfig(c, null), c, false);
        return new Case(v.label(), loss, Double.NaN, Double.NaN, Double.NaN, plan.totalBytes() / (double) (1 << 20), plan.phase(), null);
    }

    /**
     * The run config of a case: the trainer's defaults, with the variant's LoRA, base dtype and
     * checkpointing settings.
     *
     * @param s settings
     * @param v the variant
     * @param loss the loss
     * @return the config
     */
    public static TrainConfig config(Settings s, Variant v, String loss) {
        TrainConfig c = new TrainConfig();
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("architecture", "qwen2");
        model.put("num_hidden_layers", s.shape().layers());
        model.put("hidden_size", s.shape().hidden());
        model.put("intermediate_size", s.shape().intermediate());
        model.put("num_attention_heads", s.shape().heads());
        model.put("num_key_value_heads", s.shape().kvHeads());
        model.put("vocab_size", s.shape().vocab());
        model.put("tie_word_embeddings", true);
        model.put("rope_theta", 1000000.0);
        model.put("rms_norm_eps", 1e-6);
        c.randomModel = model;
        c.lossType = List.of(loss);
        c.perDeviceTrainBatchSize = s.pairs();
        c.perDeviceEvalBatchSize = s.pairs();
        c.maxLength = s.tokens();
        c.maxPromptLength = s.tokens() / 2;
        c.logitsChunkSize = s.chunkSize();
        c.usePeft = v.lora;
        c.loraR = s.loraR();
        c.loraAlpha = 2.0 * s.loraR();
        c.baseDtype = v.baseDtype;
        c.gradientCheckpointing = v.checkpointing;
        c.device = "cpu";
        return c;
    }

    /**
     * A case's process: builds the models, runs the steps, prints one result line.
     *
     * @param args one JSON object: settings, variant, loss
     * @throws Exception on any failure (the process exits non-zero)
     */
    public static void main(String[] args) throws Exception {
        OfflineEngine.configure();
        Map<?, ?> spec = JSON.readValue(args[0], Map.class);
        Settings s = JSON.convertValue(spec.get("settings"), Settings.class);
        Variant v = Variant.valueOf((String) spec.get("variant"));
        String lossName = (String) spec.get("loss");
        TrainConfig c = config(s, v, lossName);
        ModelConfig mc = RunModels.modelConfig(c, null);
        MemoryPlan plan = MemoryPlanner.plan(mc, c, false);
        double seconds;
        double baseline;
        try (NDManager root = OfflineEngine.newManager(Device.cpu())) {
            baseline = ProcessMemory.rssMb();
            CausalLm policy = RunModels.policy(c, Optional.empty(), root);
            PreferenceLoss loss = PreferenceLosses.create(lossName);
            Reference reference = loss.inputs().contains(LossInput.REFERENCE)
                    ? new LiveReference(RunModels.reference(c, policy, root), new SequenceLogprobs(c.logitsChunkSize), true) : Reference.NONE;
            policy.setTrainable(true);
            PairScorer scorer = new PairScorer(policy, reference, RowLayout.separate(0), new SequenceLogprobs(c.logitsChunkSize));
            Map<String, NDArray> params = policy.trainableParameters();
            AdamW optimizer = new AdamW(params, root, c.adamBeta1, c.adamBeta2, c.adamEpsilon, c.weightDecay);
            List<TokenizedPair> pairs = randomPairs(s, mc.vocabSize());
            int[] keys = new int[pairs.size()];
            double total = 0;
            for (int step = 0; step <= s.steps(); step++) {
                if (policy.adapters() != null) {
                    policy.adapters().beginStep(c.seed, step);
                }
                long t0 = System.nanoTime();
                try (NDManager m = root.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    ScoredPairs scored = scorer.pairs(pairs, keys, loss.inputs(), m);
                    LossOutput out = loss.compute(scored.logps(m));
                    gc.backward(out.loss());
                    scored.backward(gc);
                }
                double norm = Gradients.globalNorm(params);
                Gradients.clip(params, norm, c.maxGradNorm);
                optimizer.step(params, 1e-5);
                Gradients.zero(params);
                double took = (System.nanoTime() - t0) / 1e9;
                System.err.printf("%s %s step %d: %.2f s, peak %.0f MB%n", v.label(), lossName, step, took, ProcessMemory.peakMb());
                if (step > 0) {
                    total += took;
                }
            }
            seconds = total / s.steps();
            reference.close();
        }
        Case result = new Case(v.label(), lossName, seconds, ProcessMemory.peakMb(), baseline, plan.totalBytes() / (double) (1 << 20), plan.phase(), null);
        System.out.println(RESULT + JSON.writeValueAsString(result));
    }

    private static List<TokenizedPair> randomPairs(Settings s, int vocab) {
        Random r = new Random(17);
        int prompt = s.tokens() / 2;
        int completion = s.tokens() - prompt;
        List<TokenizedPair> pairs = new ArrayList<>();
        for (int i = 0; i < s.pairs(); i++) {
            pairs.add(new TokenizedPair(ids(r, prompt, vocab), ids(r, completion, vocab), ids(r, completion, vocab), false, null));
        }
        return pairs;
    }

    private static long[] ids(Random r, int n, int vocab) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = 3 + r.nextInt(vocab - 3);
        }
        return out;
    }
}
