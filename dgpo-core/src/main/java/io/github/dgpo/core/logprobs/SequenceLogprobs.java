package io.github.dgpo.core.logprobs;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.dgpo.core.model.Body;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.model.ModelInput;
import io.github.dgpo.core.util.Profiler;
import java.util.Arrays;

/**
 * Per-sequence sums of completion-token log-probabilities, the hot path of every loss.
 *
 * <p>Only the hidden states that predict completion tokens go through the output head (prompt
 * positions never produce logits), and per-token {@code log p = logit[label] -
 * logsumexp(logits)} with a max shift, so no {@code [N, T, V]} log-softmax exists. Two ways to
 * train through it:
 *
 * <ul>
 *   <li>{@link #compute} (two passes): the head runs on chunks of completion positions over the
 *       selected hidden states, detached from the body, to give the sums; {@link Result#backward}
 *       then re-runs each chunk with gradient, backpropagates {@code Σ g_seq·log p} into the
 *       selected states' gradient {@code G} and the head weight, and hands {@code G} to {@link
 *       Body#backward}. The loss may need the whole batch's sums first (a batch statistic).
 *   <li>{@link #computeFused} (one pass): chunks hold whole groups of sequences (a pair's two
 *       completions); for each chunk the logits are computed once, the chunk's sums go straight
 *       into the caller's loss, and one backward takes the loss's gradient through the head: three
 *       {@code [chunk × H] × [H × V]} products per chunk instead of four. For losses computed pair
 *       by pair.
 * </ul>
 *
 * Peak head memory is {@code O(chunk × V)} instead of {@code O(N × T × V)}. Chunk size {@link
 * #NO_CHUNKING} runs the head on all completion positions at once. With {@link
 * #withAlignment()} each pass also gives, without gradient, the per-sequence sums of {@code
 * log p(y_t) - log Σ_v p(v)²} (WPO's distribution-aligned log-probabilities).
 */
public final class SequenceLogprobs {

    /** Chunk size meaning "the head sees all completion positions at once". */
    public static final int NO_CHUNKING = 0;

    private final int chunkSize;
    private final boolean alignment;

    /**
     * Creates the computation.
     *
     * @param chunkSize completion positions per head chunk, or {@link #NO_CHUNKING}
     */
    public SequenceLogprobs(int chunkSize) {
        this(chunkSize, false);
    }

    private SequenceLogprobs(int chunkSize, boolean alignment) {
        if (chunkSize < 0) {
            throw new IllegalArgumentException("chunk size must be >= 0, got " + chunkSize);
        }
        this.chunkSize = chunkSize;
        this.alignment = alignment;
    }

    /** @return completion positions per head chunk, or {@link #NO_CHUNKING} */
    int chunkSize() {
        return chunkSize;
    }

    /** @return whether passes also give the alignment sums */
    boolean alignment() {
        return alignment;
    }

    /**
     * The same computation that also gives the alignment sums ({@link Result#alignment()}).
     *
     * @return the computation
     */
    public SequenceLogprobs withAlignment() {
        return new SequenceLogprobs(chunkSize, true);
    }

    /**
     * Runs the model on plain causal rows (one sequence per row) and computes the sums.
     *
     * @param model the policy or reference
     * @param ids token ids {@code [N, T]}; temporaries live in its manager
     * @param attentionMask {@code [N, T]}, 1 on a prefix of each row
     * @param completionMask {@code [N, T]}, 1 on completion tokens (including EOS)
     * @return the sums and counts; call {@link Result#backward} to train
     */
    public Result compute(CausalLm model, NDArray ids, NDArray attentionMask, NDArray completionMask) {
        long[][] hostIds = toRows(ids);
        ModelInput input = ModelInput.causal(hostIds, toRows(attentionMask));
        return compute(model, input, CompletionTargets.fromCompletionMask(hostIds, toRows(completionMask)), ids.getManager());
    }

    /**
     * Runs the model on the rows and computes each sequence's sum (the first of two passes).
     *
     * @param model the policy or reference
     * @param input the rows
     * @param targets the completion tokens and their sequences
     * @param m manager of the pass's temporaries (on the model's device)
     * @return the sums and counts; call {@link Result#backward} to train
     */
    public Result compute(CausalLm model, ModelInput input, CompletionTargets targets, NDManager m) {
        Body body = forward(model, input, m);
        int s = targets.sequenceCount();
        if (targets.size() == 0) {
            return new Result(this, model, null, null, targets, new float[s], alignment ? new float[s] : null, null);
        }
        NDArray leaf = body.select(targets.rows());
        if (chunkSize == NO_CHUNKING || chunkSize >= targets.size()) {
            leaf.setRequiresGradient(true);
            Head head = head(leaf, model.headWeight(), targets, range(0, targets.size()), m);
            return new Result(this, model, body, leaf, targets, head.sums.stopGradient().toFloatArray(), head.alignment(), head.sums);
        }
        NDArray frozenHead = model.headWeight().stopGradient();
        float[] sums = new float[s];
        float[] aligned = alignment ? new float[s] : null;
        for (int start = 0; start < targets.size(); start += chunkSize) {
            int end = Math.min(targets.size(), start + chunkSize);
            try (NDManager chunk = m.newSubManager()) {
                NDArray rows = leaf.get(start + ":" + end);
                rows.attach(chunk);
                Head head = head(rows, frozenHead, targets, range(start, end), chunk);
                add(sums, head.sums.toFloatArray());
                if (aligned != null) {
                    add(aligned, head.alignment());
                }
            }
        }
        return new Result(this, model, body, leaf, targets, sums, aligned, null);
    }

    /**
     * The loss of a chunk of sequence groups, given their sums: what {@link #computeFused}
     * backpropagates for the chunk.
     */
    @FunctionalInterface
    public interface ChunkLoss {
        /**
         * The chunk's share of the loss.
         *
         * @param groups the indices of the groups in the chunk
         * @param sums sums of all {@code S} sequences, attached to the graph; only the chunk's
         *     groups' sequences hold values, the others 0
         * @param alignment alignment sums of all sequences (chunk's only), or null
         * @return a scalar whose gradient is the chunk's (already scaled by its share of the
         *     batch and of the step)
         */
        NDArray loss(int[] groups, NDArray sums, float[] alignment);
    }

    /**
     * Runs the model and trains through the head in one pass, chunk by chunk of whole sequence
     * groups, inside an open gradient collector. A group longer than the chunk size goes alone
     * through the two-pass path (sums first, then its loss's gradient through sub-chunks), so
     * no chunk exceeds the chunk size.
     *
     * @param model the policy
     * @param input the rows
     * @param targets the completion tokens
     * @param groups sequences that the loss reads together, e.g. {@code {p, B + p}} for pair
     *     {@code p}; every sequence in exactly one group
     * @param loss the loss of a chunk of groups
     * @param collector the open gradient collector
     * @param m manager of the pass's temporaries
     * @return the sums (and alignment sums), after the gradient is in the parameters
     */
    public Result computeFused(CausalLm model, ModelInput input, CompletionTargets targets, int[][] groups, ChunkLoss loss, GradientCollector collector,
            NDManager m) {
        return new OnePassHead(this).run(model, input, targets, groups, loss, collector, m);
    }

    static Body forward(CausalLm model, ModelInput input, NDManager m) {
        try (Profiler.Phase p = Profiler.phase("body_forward")) {
            return model.forward(input, m);
        }
    }

    static void bodyBackward(Body body, GradientCollector collector, NDArray gradient) {
        try (Profiler.Phase p = Profiler.phase("body_backward")) {
            body.backward(collector, gradient);
        }
    }

    private static int[] range(int start, int end) {
        int[] r = new int[end - start];
        Arrays.setAll(r, i -> start + i);
        return r;
    }

    /** The hidden states of some completion tokens, owned by {@code m} so that everything computed from them is freed with it. */
    static NDArray rowsOf(NDArray leaf, int[] tokens, NDManager m) {
        long h = leaf.getShape().get(1);
        NDArray index = m.create(Arrays.stream(tokens).asLongStream().toArray()).reshape(-1, 1).broadcast(tokens.length, h);
        NDArray rows = leaf.gather(index, 0);
        rows.attach(m);
        return rows;
    }

    static void add(float[] into, float[] values) {
        for (int i = 0; i < into.length; i++) {
            into[i] += values[i];
        }
    }

    private static long[][] toRows(NDArray a) {
        int n = Math.toIntExact(a.getShape().get(0));
        int t = Math.toIntExact(a.getShape().get(1));
        long[] flat = a.toType(DataType.INT64, false).toLongArray();
        long[][] rows = new long[n][];
        for (int i = 0; i < n; i++) {
            rows[i] = Arrays.copyOfRange(flat, i * t, (i + 1) * t);
        }
        return rows;
    }

    /** What the head gives for some completion tokens: sums (on the graph when recorded) and alignment sums. */
    record Head(NDArray sums, NDArray alignmentSums) {
        float[] alignment() {
            return alignmentSums == null ? null : alignmentSums.toFloatArray();
        }
    }

    /** {@code Σ w·log p} per sequence over the given completion tokens, whose hidden states are {@code rows}. */
    Head head(NDArray rows, NDArray head, CompletionTargets t, int[] tokens, NDManager m) {
        try (Profiler.Phase p = Profiler.phase("head")) {
            return headPass(rows, head, t, tokens, m);
        }
    }

    private Head headPass(NDArray rows, NDArray head, CompletionTargets t, int[] tokens, NDManager m) {
        NDArray logits = rows.getNDArrayInternal().linear(rows, head, null).singletonOrThrow();
        NDArray max = logits.max(new int[] {1}, true).stopGradient();
        NDArray logSumExp = logits.sub(max).exp().sum(new int[] {1}, true).log().add(max);
        long[] labels = new long[tokens.length];
        for (int k = 0; k < tokens.length; k++) {
            labels[k] = t.labels()[tokens[k]];
        }
        NDArray picked = logits.gather(m.create(labels).reshape(-1, 1), 1);
        NDArray tokenLogps = picked.sub(logSumExp).reshape(-1);
        NDArray aligned = null;
        if (alignment) {
            // log p - log Σ p² = picked + lse - 2·max - log Σ exp(2(logits - max)), without gradient
            NDArray l = logits.stopGradient().sub(max);
            NDArray squares = l.add(l).exp().sum(new int[] {1}, true).log();
            NDArray perToken = picked.stopGradient().sub(max).sub(max).add(logSumExp.stopGradient()).sub(squares).reshape(-1);
            aligned = segmentSum(m, perToken, t, tokens, false);
        }
        return new Head(segmentSum(m, tokenLogps, t, tokens, true), aligned);
    }

    /** Sums {@code values[k]} (times the token's weight when asked) into {@code out[sequence(k)]} as one matrix product. */
    private static NDArray segmentSum(NDManager m, NDArray values, CompletionTargets t, int[] tokens, boolean weighted) {
        int width = tokens.length;
        int s = t.sequenceCount();
        float[] matrix = new float[Math.multiplyExact(s, width)];
        for (int k = 0; k < width; k++) {
            int token = tokens[k];
            matrix[t.sequences()[token] * width + k] = weighted && t.weights() != null ? t.weights()[token] : 1f;
        }
        return m.create(matrix, new Shape(s, width)).matMul(values.reshape(-1, 1)).reshape(s);
    }

    /** Sums and counts of one batch, and the backward pass that trains through them. */
    public static final class Result {
        private final SequenceLogprobs owner;
        private final CausalLm model;
        private final Body body;
        private final NDArray leaf;
        private final CompletionTargets targets;
        private final float[] sums;
        private final float[] alignment;
        private final NDArray attachedSums;

        Result(SequenceLogprobs owner, CausalLm model, Body body, NDArray leaf, CompletionTargets targets, float[] sums, float[] alignment,
                NDArray attachedSums) {
            this.owner = owner;
            this.model = model;
            this.body = body;
            this.leaf = leaf;
            this.targets = targets;
            this.sums = sums;
            this.alignment = alignment;
            this.attachedSums = attachedSums;
        }

        CausalLm model() {
            return model;
        }

        NDArray leaf() {
            return leaf;
        }

        CompletionTargets targets() {
            return targets;
        }

        /**
         * The divergences between the two completions of each group at their aligned positions
         * (computed now, without gradient; {@link AlignedDivergences#backward} trains through
         * them before this result's {@link #backward}).
         *
         * @param groups {@code {chosen sequence, rejected sequence}} per pair
         * @return the divergences
         */
        public AlignedDivergences alignedDivergences(int[][] groups) {
            if (body == null || leaf == null) {
                throw new IllegalStateException("no completion tokens, or a result of the one-pass head (which has trained already)");
            }
            return new AlignedDivergences(this, groups, owner.chunkSize);
        }

        /**
         * Returns the per-sequence sums (weighted by the targets' token weights, if any).
         *
         * @return {@code [S]}
         */
        public float[] sums() {
            return sums.clone();
        }

        /**
         * Returns the completion token counts.
         *
         * @return {@code [S]}
         */
        public float[] counts() {
            float[] c = new float[targets.sequenceCount()];
            for (int i = 0; i < c.length; i++) {
                c[i] = targets.counts()[i];
            }
            return c;
        }

        /**
         * Returns the per-sequence sums of {@code log p(y_t) - log Σ_v p(v)²} (unweighted),
         * computed without gradient, when the computation was asked for them.
         *
         * @return {@code [S]}, or null
         */
        public float[] alignment() {
            return alignment == null ? null : alignment.clone();
        }

        /**
         * Backpropagates {@code Σ gradSums · sums} into the model's parameters (gradients
         * accumulate). Not needed after {@link #computeFused}, which has done it.
         *
         * @param collector the open gradient collector
         * @param gradSums {@code ∂loss/∂sums}, shape {@code [S]}
         */
        public void backward(GradientCollector collector, NDArray gradSums) {
            if (body == null) {
                return;
            }
            NDArray g = gradSums.stopGradient();
            if (attachedSums != null) {
                try (Profiler.Phase p = Profiler.phase("head_backward")) {
                    collector.backward(attachedSums.mul(g).sum());
                }
            } else {
                leaf.setRequiresGradient(true);
                float[] weights = g.toType(DataType.FLOAT32, false).toFloatArray();
                int chunk = owner.chunkSize;
                NDManager m = leaf.getManager();
                for (int start = 0; start < targets.size(); start += chunk) {
                    int end = Math.min(targets.size(), start + chunk);
                    try (NDManager sub = m.newSubManager()) {
                        NDArray rows = leaf.get(start + ":" + end);
                        rows.attach(sub);
                        NDArray part = owner.head(rows, model.headWeight(), targets, range(start, end), sub).sums;
                        try (Profiler.Phase p = Profiler.phase("head_backward")) {
                            collector.backward(part.mul(sub.create(weights)).sum());
                        }
                    }
                }
            }
            bodyBackward(body, collector, leaf.getGradient());
            leaf.setRequiresGradient(false);
        }
    }
}
