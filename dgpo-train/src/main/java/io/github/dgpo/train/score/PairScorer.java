package io.github.dgpo.train.score;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.github.dgpo.core.NoGradient;
import io.github.dgpo.core.logprobs.AlignedDivergences;
import io.github.dgpo.core.logprobs.SequenceLogprobs;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.model.FlopCount;
import io.github.dgpo.core.util.Profiler;
import io.github.dgpo.data.batch.PackedBatch;
import io.github.dgpo.data.batch.RowLayout;
import io.github.dgpo.data.tokenize.TokenizedExample;
import io.github.dgpo.data.tokenize.TokenizedPair;
import io.github.dgpo.losses.LossInput;
import io.github.dgpo.losses.PairLogps;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Scores batches for a loss: owns the row layout, the output head computation and the
 * reference, and computes exactly the inputs the loss declares ({@link LossInput}). The policy
 * pass records a graph when a gradient collector is open; every other pass runs without one.
 */
public final class PairScorer {

    /** The loss of a chunk of pairs in the one-pass head. */
    @FunctionalInterface
    public interface ChunkLoss {
        /**
         * The chunk's share of the step's loss.
         *
         * @param pairs the indices of the chunk's pairs in the batch
         * @param logps their log-probabilities, the sums on the graph
         * @return a scalar whose gradient is the chunk's, already weighted by its share
         */
        NDArray loss(int[] pairs, PairLogps logps);
    }

    private final CausalLm policy;
    private final Reference reference;
    private final RowLayout layout;
    private final SequenceLogprobs logprobs;

    /**
     * Creates the scorer.
     *
     * @param policy the policy
     * @param reference the reference ({@link Reference#NONE} for none)
     * @param layout how sequences become rows
     * @param logprobs the head computation
     */
    public PairScorer(CausalLm policy, Reference reference, RowLayout layout, SequenceLogprobs logprobs) {
        this.policy = policy;
        this.reference = reference;
        this.layout = layout;
        this.logprobs = logprobs;
    }

    /** @return the row layout */
    public RowLayout layout() {
        return layout;
    }

    /** @return the policy */
    public CausalLm policy() {
        return policy;
    }

    /** @return the reference */
    public Reference reference() {
        return reference;
    }

    /**
     * Scores pairs (two passes through the head: the loss may read the whole batch).
     *
     * @param pairs the pairs
     * @param keys their keys in the run's data (for a precomputed reference)
     * @param inputs what the loss reads besides the policy sums
     * @param m where the batch's arrays live
     * @return the scores; train with {@link ScoredPairs#backward}
     */
    public ScoredPairs pairs(List<TokenizedPair> pairs, int[] keys, Set<LossInput> inputs, NDManager m) {
        PackedBatch batch = pack(pairs);
        double[] flops = new double[1];
        float[] ref = referenceAndFlops(batch, keys, inputs.contains(LossInput.REFERENCE), m, flops);
        float[][] mismatched = null;
        if (inputs.contains(LossInput.MISMATCHED_PAIRS) && pairs.size() > 1) {
            PackedBatch shifted = mismatchedBatch(pairs);
            flops[0] += 2 * FlopCount.forward(policy.config(), shifted.input(), shifted.targets());
            mismatched = bothModels(shifted, m);
        }
        SequenceLogprobs.Result result = head(inputs).compute(policy, batch.input(), batch.targets(), m);
        AlignedDivergences divergences = null;
        if (inputs.contains(LossInput.ALIGNED_KL)) {
            int[][] groups = RowLayout.pairGroups(pairs.size());
            try (Profiler.Phase phase = Profiler.phase("aligned_kl")) {
                divergences = result.alignedDivergences(groups);
            }
            flops[0] += 3 * 2 * 2.0 * policy.config().hiddenSize() * policy.config().vocabSize() * divergences.positions();
        }
        return new ScoredPairs(result, ref, mismatched, divergences, batch.tokenCounts(), flops[0]);
    }

    private PackedBatch pack(List<TokenizedPair> pairs) {
        try (Profiler.Phase p = Profiler.phase("data")) {
            return layout.pairs(pairs);
        }
    }

    /**
     * The batch's reference sums when {@code wanted} (else null), with the FLOPs the batch needs
     * so far set in {@code flops[0]}: the policy's training pass (forward and backward, three
     * times the forward) and a live reference's forward, the forward counted once for both.
     */
    private float[] referenceAndFlops(PackedBatch batch, int[] keys, boolean wanted, NDManager m, double[] flops) {
        double forward = FlopCount.forward(policy.config(), batch.input(), batch.targets());
        flops[0] = 3 * forward;
        if (!wanted) {
            return null;
        }
        if (reference.live()) {
            flops[0] += forward;
        }
        try (Profiler.Phase p = Profiler.phase("reference")) {
            return reference.sums(batch, keys, m);
        }
    }

    /**
     * Scores pairs and trains through the one-pass head, chunk by chunk of whole pairs, inside
     * an open gradient collector. For losses computed pair by pair.
     *
     * @param pairs the pairs
     * @param keys their keys in the run's data
     * @param inputs what the loss reads (not {@link LossInput#MISMATCHED_PAIRS}: a batch statistic)
     * @param loss the loss of a chunk of pairs
     * @param collector the open gradient collector
     * @param m where the batch's arrays live
     * @return the scores, the gradient already in the policy's parameters
     */
    public ScoredPairs train(List<TokenizedPair> pairs, int[] keys, Set<LossInput> inputs, ChunkLoss loss, GradientCollector collector, NDManager m) {
        if (inputs.contains(LossInput.MISMATCHED_PAIRS) || inputs.contains(LossInput.ALIGNED_KL)) {
            throw new IllegalArgumentException("the one-pass head is for losses computed pair by pair from the sums");
        }
        PackedBatch batch = pack(pairs);
        double[] flops = new double[1];
        float[] ref = referenceAndFlops(batch, keys, inputs.contains(LossInput.REFERENCE), m, flops);
        int b = pairs.size();
        int[][] groups = RowLayout.pairGroups(b);
        float[] counts = new float[2 * b];
        for (int s = 0; s < counts.length; s++) {
            counts[s] = batch.targets().counts()[s];
        }
        SequenceLogprobs.Result result = head(inputs).computeFused(policy, batch.input(), batch.targets(), groups,
                (chunk, sums, alignment) -> loss.loss(chunk, ScoredPairs.of(sums, chunk, counts, ref, alignment, sums.getManager())), collector, m);
        return new ScoredPairs(result, ref, null, batch.tokenCounts(), flops[0]);
    }

    private SequenceLogprobs head(Set<LossInput> inputs) {
        return inputs.contains(LossInput.TOKEN_ALIGNMENT) ? logprobs.withAlignment() : logprobs;
    }

    /**
     * Scores unpaired examples: the policy (with graph when training), the reference, and when
     * asked the mismatched examples (prompt {@code i} with the completion of example {@code
     * (i+1) mod B}).
     *
     * @param examples the examples
     * @param mismatchedToo whether to score the mismatched examples
     * @param m where the batch's arrays live
     * @return the scores
     */
    public ScoredExamples examples(List<TokenizedExample> examples, boolean mismatchedToo, NDManager m) {
        PackedBatch batch = layout.examples(examples);
        double[] flops = new double[1];
        float[] ref = referenceAndFlops(batch, null, true, m, flops);
        float[][] mismatched = null;
        if (mismatchedToo && examples.size() > 1) {
            List<long[]> prompts = new ArrayList<>();
            List<long[][]> completions = new ArrayList<>();
            for (int i = 0; i < examples.size(); i++) {
                prompts.add(examples.get(i).prompt());
                completions.add(new long[][] {examples.get((i + 1) % examples.size()).completion()});
            }
            PackedBatch shifted = layout.pack(prompts, completions);
            flops[0] += 2 * FlopCount.forward(policy.config(), shifted.input(), shifted.targets());
            mismatched = bothModels(shifted, m);
        }
        return new ScoredExamples(logprobs.compute(policy, batch.input(), batch.targets(), m), ref, mismatched, batch.tokenCounts(), flops[0]);
    }

    /** KTO's {@code z0} inputs: prompt {@code i} with the chosen completion of pair {@code (i+1) mod B}, one sequence each. */
    private PackedBatch mismatchedBatch(List<TokenizedPair> pairs) {
        List<long[]> prompts = new ArrayList<>();
        List<long[][]> completions = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) {
            prompts.add(pairs.get(i).prompt());
            completions.add(new long[][] {pairs.get((i + 1) % pairs.size()).chosen()});
        }
        return layout.pack(prompts, completions);
    }

    /** {policy sums, reference sums} of a batch, without gradient. */
    private float[][] bothModels(PackedBatch batch, NDManager m) {
        float[] p;
        try (Profiler.Phase phase = Profiler.phase("mismatched"); NoGradient off = NoGradient.enter(); NDManager sub = m.newSubManager()) {
            p = logprobs.compute(policy, batch.input(), batch.targets(), sub).sums();
            return new float[][] {p, reference.sums(batch, null, m)};
        }
    }
}
