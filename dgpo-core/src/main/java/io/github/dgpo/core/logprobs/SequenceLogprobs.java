package io.github.dgpo.core.logprobs;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.dgpo.core.model.Body;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.model.ModelInput;
import java.util.Arrays;

/**
 * Per-sequence sums of completion-token log-probabilities, the hot path of every loss.
 *
 * <p>Only the hidden states that predict completion tokens go through the output head (prompt
 * positions never produce logits), and per-token {@code log p = logit[label] -
 * logsumexp(logits)} with a max shift, so no {@code [N, T, V]} log-softmax exists. The head runs
 * on chunks of completion positions over the selected hidden states detached from the body: a
 * first pass computes the sums; {@link Result#backward} then re-runs each chunk with gradient,
 * backpropagates {@code Σ g_seq·log p} into the selected states' gradient {@code G} and the
 * head weight, and hands {@code G} to {@link Body#backward}. Peak head memory is {@code
 * O(chunk × V)} instead of {@code O(N × T × V)}. Chunk size {@link #NO_CHUNKING} runs the head on
 * all completion positions at once, keeping its graph from the first pass (one head forward).
 */
public final class SequenceLogprobs {

    /** Chunk size meaning "the head sees all completion positions at once". */
    public static final int NO_CHUNKING = 0;

    private final int chunkSize;

    /**
     * Creates the computation.
     *
     * @param chunkSize completion positions per head chunk, or {@link #NO_CHUNKING}
     */
    public SequenceLogprobs(int chunkSize) {
        if (chunkSize < 0) {
            throw new IllegalArgumentException("chunk size must be >= 0, got " + chunkSize);
        }
        this.chunkSize = chunkSize;
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
     * Runs the model on the rows and computes each sequence's sum.
     *
     * @param model the policy or reference
     * @param input the rows
     * @param targets the completion tokens and their sequences
     * @param m manager of the pass's temporaries (on the model's device)
     * @return the sums and counts; call {@link Result#backward} to train
     */
    public Result compute(CausalLm model, ModelInput input, CompletionTargets targets, NDManager m) {
        Body body = model.forward(input, m);
        int s = targets.sequenceCount();
        NDArray counts = m.create(Arrays.stream(targets.counts()).asDoubleStream().toArray()).toType(DataType.FLOAT32, false);
        if (targets.size() == 0) {
            return new Result(this, model, null, null, targets, m.zeros(new Shape(s)), counts, null);
        }
        NDArray leaf = body.select(targets.rows());
        if (chunkSize == NO_CHUNKING || chunkSize >= targets.size()) {
            leaf.setRequiresGradient(true);
            NDArray sums = chunkSums(leaf, model.headWeight(), targets, 0, targets.size(), m);
            return new Result(this, model, body, leaf, targets, sums.stopGradient(), counts, sums);
        }
        NDArray frozenHead = model.headWeight().stopGradient();
        NDArray sums = m.zeros(new Shape(s));
        for (int start = 0; start < targets.size(); start += chunkSize) {
            int end = Math.min(targets.size(), start + chunkSize);
            try (NDManager chunk = m.newSubManager()) {
                NDArray rows = leaf.get(start + ":" + end);
                rows.attach(chunk);
                sums.addi(chunkSums(rows, frozenHead, targets, start, end, chunk));
            }
        }
        return new Result(this, model, body, leaf, targets, sums, counts, null);
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

    /** {@code Σ w·log p} per sequence over completion tokens {@code [start, end)}. */
    private static NDArray chunkSums(NDArray rows, NDArray head, CompletionTargets t, int start, int end, NDManager m) {
        NDArray logits = rows.getNDArrayInternal().linear(rows, head, null).singletonOrThrow();
        NDArray max = logits.max(new int[] {1}, true).stopGradient();
        NDArray logSumExp = logits.sub(max).exp().sum(new int[] {1}, true).log().add(max);
        NDArray picked = logits.gather(m.create(Arrays.copyOfRange(t.labels(), start, end)).reshape(-1, 1), 1);
        NDArray tokenLogps = picked.sub(logSumExp).reshape(-1);
        return segmentSum(m, tokenLogps, t, start, end);
    }

    /** Sums {@code w_k·values[k]} into {@code out[sequence(k)]} as one matrix product. */
    private static NDArray segmentSum(NDManager m, NDArray values, CompletionTargets t, int start, int end) {
        int width = end - start;
        int s = t.sequenceCount();
        float[] weighted = new float[Math.multiplyExact(s, width)];
        for (int k = 0; k < width; k++) {
            weighted[t.sequences()[start + k] * width + k] = t.weights() == null ? 1f : t.weights()[start + k];
        }
        return m.create(weighted, new Shape(s, width)).matMul(values.reshape(-1, 1)).reshape(s);
    }

    /** Sums and counts of one batch, and the backward pass that trains through them. */
    public static final class Result {
        private final SequenceLogprobs owner;
        private final CausalLm model;
        private final Body body;
        private final NDArray leaf;
        private final CompletionTargets targets;
        private final NDArray sums;
        private final NDArray counts;
        private final NDArray attachedSums;

        Result(SequenceLogprobs owner, CausalLm model, Body body, NDArray leaf, CompletionTargets targets, NDArray sums, NDArray counts,
                NDArray attachedSums) {
            this.owner = owner;
            this.model = model;
            this.body = body;
            this.leaf = leaf;
            this.targets = targets;
            this.sums = sums;
            this.counts = counts;
            this.attachedSums = attachedSums;
        }

        /**
         * Returns the per-sequence sums {@code [S]} (detached).
         *
         * @return the sums
         */
        public NDArray sums() {
            return sums;
        }

        /**
         * Returns the completion token counts {@code [S]} (float32).
         *
         * @return the counts
         */
        public NDArray counts() {
            return counts;
        }

        /**
         * Backpropagates {@code Σ gradSums · sums} into the model's parameters (gradients
         * accumulate).
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
                collector.backward(attachedSums.mul(g).sum());
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
                        NDArray part = chunkSums(rows, model.headWeight(), targets, start, end, sub);
                        collector.backward(part.mul(sub.create(weights)).sum());
                    }
                }
            }
            body.backward(collector, leaf.getGradient());
            leaf.setRequiresGradient(false);
        }
    }
}
