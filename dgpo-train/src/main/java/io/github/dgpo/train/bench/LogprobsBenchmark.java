package io.github.dgpo.train.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.github.dgpo.core.OfflineEngine;
import io.github.dgpo.core.logprobs.CompletionTargets;
import io.github.dgpo.core.logprobs.NaiveSequenceLogprobs;
import io.github.dgpo.core.logprobs.SequenceLogprobs;
import io.github.dgpo.core.model.Architecture;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.model.ModelConfig;
import io.github.dgpo.core.model.ModelInput;
import io.github.dgpo.core.util.ProcessMemory;
import io.github.dgpo.core.util.Profiler;
import io.github.dgpo.data.batch.RowLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Naive ({@code [N, T, V]} logits and log-softmax) against the fused, chunked head (two passes:
 * sums, then gradient) and the one-pass head (chunks of whole row pairs, the loss's gradient taken
 * in the same pass): time of one forward + backward of {@code mean(S)}, the time spent in the
 * head alone ({@code head} and {@code head_backward} phases) and the peak resident memory above
 * the level just before each phase, on a random tied-embedding Llama, with a check that the paths
 * give the same gradients. The first half of each row is prompt, the second completion; rows
 * {@code i} and {@code i + N/2} form a pair.
 */
public final class LogprobsBenchmark {

    /** Benchmark sizes, each at least 1 (the sequence at least 2: one position is scored). */
    public record Settings(int batch, int seqLen, int hidden, int layers, List<Integer> vocabs, int chunkSize, int repeats) {
        /** Checks the sizes. */
        public Settings {
            atLeast("--batch", batch, 1);
            atLeast("--seq-len", seqLen, 2);
            atLeast("--hidden", hidden, 1);
            atLeast("--layers", layers, 1);
            atLeast("--chunk-size", chunkSize, 1);
            atLeast("--repeats", repeats, 1);
            if (vocabs.isEmpty()) {
                throw new IllegalArgumentException("--vocab needs at least one size");
            }
            vocabs.forEach(v -> atLeast("--vocab", v, 2));
        }

        private static void atLeast(String option, int value, int min) {
            if (value < min) {
                throw new IllegalArgumentException(option + " must be >= " + min + ", got " + value);
            }
        }
    }

    /**
     * One phase's measurement (best time over repeats; peak over all of them).
     *
     * @param seconds best time of forward + backward
     * @param peakExtraMb peak resident memory above the level before the phase
     * @param headSeconds the head's share of the best run (NaN for the naive path, whose head is not separable)
     */
    public record Phase(double seconds, double peakExtraMb, double headSeconds) {}

    /** One vocabulary's result. */
    public record Case(int vocab, Phase naive, Phase chunked, Phase onePass, double maxAbsGradDiff, double maxAbsOnePassGradDiff) {}

    private LogprobsBenchmark() {}

    /**
     * Runs the benchmark.
     *
     * @param s sizes
     * @return one case per vocabulary
     */
    public static List<Case> run(Settings s) {
        List<Case> cases = new ArrayList<>();
        try (NDManager root = OfflineEngine.newManager()) {
            for (int vocab : s.vocabs()) {
                ModelConfig config = ModelConfig.builder(Architecture.LLAMA)
                        .set("vocab_size", vocab).set("hidden_size", s.hidden()).set("intermediate_size", s.hidden() * 8 / 3)
                        .set("num_hidden_layers", s.layers()).set("num_attention_heads", Math.max(1, s.hidden() / 64))
                        .set("num_key_value_heads", Math.max(1, s.hidden() / 128)).set("tie_word_embeddings", true).build();
                long[][] ids = new long[s.batch()][s.seqLen()];
                long[][] attention = new long[s.batch()][s.seqLen()];
                long[][] completion = new long[s.batch()][s.seqLen()];
                Random r = new Random(vocab);
                for (int b = 0; b < s.batch(); b++) {
                    for (int t = 0; t < s.seqLen(); t++) {
                        ids[b][t] = r.nextInt(vocab);
                        attention[b][t] = 1;
                        completion[b][t] = t >= s.seqLen() / 2 ? 1 : 0;
                    }
                }
                try (CausalLm model = CausalLm.random(config, 1, root)) {
                    model.setTrainable(true);
                    Phase naive = measure(s.repeats(), () -> {
                        try (NDManager m = root.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            NDArray sums = NaiveSequenceLogprobs.sums(model, m.create(ids), m.create(attention), m.create(completion));
                            gc.backward(sums.mean());
                        }
                    }, model);
                    Map<String, float[]> naiveGrads = gradients(model);
                    Phase chunked = measure(s.repeats(), () -> {
                        try (NDManager m = root.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            SequenceLogprobs.Result res = new SequenceLogprobs(s.chunkSize()).compute(model, m.create(ids), m.create(attention), m.create(completion));
                            float[] g = new float[s.batch()];
                            java.util.Arrays.fill(g, 1f / s.batch());
                            res.backward(gc, m.create(g));
                        }
                    }, model);
                    Map<String, float[]> chunkedGrads = gradients(model);
                    int half = s.batch() / 2;
                    int[][] groups = RowLayout.pairGroups(half);
                    Phase onePass = measure(s.repeats(), () -> {
                        try (NDManager m = root.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            ModelInput input = ModelInput.causal(ids, attention);
                            CompletionTargets targets = CompletionTargets.fromCompletionMask(ids, completion);
                            new SequenceLogprobs(s.chunkSize()).computeFused(model, input, targets, groups,
                                    (g, sums, aligned) -> sums.sum().div(sums.getManager().create((float) s.batch())), gc, m);
                        }
                    }, model);
                    Map<String, float[]> onePassGrads = gradients(model);
                    cases.add(new Case(vocab, naive, chunked, onePass, maxDiff(naiveGrads, chunkedGrads), maxDiff(chunkedGrads, onePassGrads)));
                }
            }
        }
        return cases;
    }

    private static double maxDiff(Map<String, float[]> x, Map<String, float[]> y) {
        double diff = 0;
        for (Map.Entry<String, float[]> e : x.entrySet()) {
            float[] a = e.getValue();
            float[] b = y.get(e.getKey());
            for (int i = 0; i < a.length; i++) {
                diff = Math.max(diff, Math.abs(a[i] - b[i]));
            }
        }
        return diff;
    }

    /** Runs a warm-up, then {@code repeats} timed runs, zeroing gradients before each. */
    private static Phase measure(int repeats, Runnable step, CausalLm model) {
        zero(model);
        step.run();
        double best = Double.MAX_VALUE;
        double bestHead = Double.NaN;
        double peak = 0;
        for (int i = 0; i < repeats; i++) {
            zero(model);
            System.gc();
            ProcessMemory.resetPeak();
            double before = ProcessMemory.rssMb();
            Profiler profiler = Profiler.start();
            long t0 = System.nanoTime();
            step.run();
            double seconds = (System.nanoTime() - t0) / 1e9;
            Profiler.stop();
            Map<String, Double> phases = profiler.seconds();
            if (seconds < best) {
                best = seconds;
                bestHead = phases.containsKey("head") ? phases.get("head") + phases.getOrDefault("head_backward", 0.0) : Double.NaN;
            }
            peak = Math.max(peak, ProcessMemory.peakMb() - before);
        }
        return new Phase(best, peak, bestHead);
    }

    private static void zero(CausalLm model) {
        for (NDArray p : model.parameters().values()) {
            NDArray g = p.getGradient();
            g.subi(g);
        }
    }

    private static Map<String, float[]> gradients(CausalLm model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        model.parameters().forEach((name, p) -> out.put(name, p.getGradient().toFloatArray()));
        return out;
    }
}
