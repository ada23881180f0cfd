package io.github.dgpo.core.logprobs;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.dgpo.core.model.CausalLm;
import java.util.Arrays;

/**
 * Per-sequence sums of completion-token log-probabilities, the hot path of every loss.
 *
 * <p>Only completion positions go through the output head (prompt positions never produce
 * logits), and per-token {@code log p = logit[label] - logsumexp(logits)} with a max shift, so
 * no {@code [N, T, V]} log-softmax exists. With a chunk size, the head runs on chunks of
 * completion positions over detached hidden states: a first pass computes the sums; {@link
 * Result#backward} then re-runs each chunk with gradient, backpropagates {@code Σ g_seq·log p}
 * into the detached hidden states' gradient {@code G} and the head weight, and injects {@code
 * G} into the body with one backward of {@code sum(h · G)}. Peak head memory is {@code
 * O(chunk × V)} instead of {@code O(N × T × V)}. Chunk size {@link #NO_CHUNKING} runs the head
 * on all completion positions at once with ordinary autograd.
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
     * Runs the model and computes the sums.
     *
     * @param model the policy or reference
     * @param ids token ids {@code [N, T]}; temporaries live in its manager
     * @param attentionMask {@code [N, T]}
     * @param completionMask {@code [N, T]}, 1 on completion tokens (including EOS)
     * @return the sums and counts; call {@link Result#backward} to train
     */
    public Result compute(CausalLm model, NDArray ids, NDArray attentionMask, NDArray completionMask) {
        CompletionPositions pos = CompletionPositions.of(ids, completionMask);
        NDManager m = ids.getManager();
        NDArray hidden = model.hiddenStates(ids, attentionMask);
        long n = ids.getShape().get(0);
        long h = hidden.getShape().get(2);
        NDArray selected = pos.size() == 0
                ? null
                : hidden.reshape(-1, h).gather(m.create(pos.rows()).reshape(-1, 1).broadcast(pos.size(), h), 0);
        NDArray counts = m.create(pos.counts()).toType(DataType.FLOAT32, false);
        if (selected == null) {
            return new Result(this, model, null, pos, m.zeros(new Shape(n)), counts, null);
        }
        NDArray head = model.headWeight();
        if (chunkSize == NO_CHUNKING || chunkSize >= pos.size()) {
            NDArray sums = chunkSums(selected, head, pos, 0, pos.size(), n);
            return new Result(this, model, selected, pos, sums.stopGradient(), counts, sums);
        }
        NDArray detached = selected.stopGradient();
        NDArray frozenHead = head.stopGradient();
        NDArray sums = m.zeros(new Shape(n));
        for (int start = 0; start < pos.size(); start += chunkSize) {
            int end = Math.min(pos.size(), start + chunkSize);
            try (NDManager chunk = m.newSubManager()) {
                NDArray part = chunkSums(detached.get(start + ":" + end), frozenHead, pos, start, end, n, chunk);
                sums.addi(part);
            }
        }
        return new Result(this, model, selected, pos, sums, counts, null);
    }

    private static NDArray chunkSums(NDArray rows, NDArray head, CompletionPositions pos, int start, int end, long n) {
        return chunkSums(rows, head, pos, start, end, n, rows.getManager());
    }

    /** {@code Σ log p} per sequence over completion positions {@code [start, end)}. */
    private static NDArray chunkSums(NDArray rows, NDArray head, CompletionPositions pos, int start, int end, long n, NDManager m) {
        rows.attach(m);
        NDArray logits = rows.getNDArrayInternal().linear(rows, head, null).singletonOrThrow();
        NDArray max = logits.max(new int[] {1}, true).stopGradient();
        NDArray logSumExp = logits.sub(max).exp().sum(new int[] {1}, true).log().add(max);
        long[] labels = Arrays.copyOfRange(pos.labels(), start, end);
        NDArray picked = logits.gather(m.create(labels).reshape(-1, 1), 1);
        NDArray tokenLogps = picked.sub(logSumExp).reshape(-1);
        return segmentSum(m, tokenLogps, Arrays.copyOfRange(pos.sequences(), start, end), n);
    }

    /** Sums {@code values[k]} into {@code out[segments[k]]} as a one-hot matrix product. */
    private static NDArray segmentSum(NDManager m, NDArray values, long[] segments, long n) {
        float[] onehot = new float[Math.toIntExact(n * segments.length)];
        for (int k = 0; k < segments.length; k++) {
            onehot[(int) (segments[k] * segments.length + k)] = 1f;
        }
        return m.create(onehot, new Shape(n, segments.length)).matMul(values.reshape(-1, 1)).reshape(n);
    }

    /** Sums and counts of one batch, and the backward pass that trains through them. */
    public static final class Result {
        private final SequenceLogprobs owner;
        private final CausalLm model;
        private final NDArray selected;
        private final CompletionPositions positions;
        private final NDArray sums;
        private final NDArray counts;
        private final NDArray attachedSums;

        Result(SequenceLogprobs owner, CausalLm model, NDArray selected, CompletionPositions positions, NDArray sums, NDArray counts, NDArray attachedSums) {
            this.owner = owner;
            this.model = model;
            this.selected = selected;
            this.positions = positions;
            this.sums = sums;
            this.counts = counts;
            this.attachedSums = attachedSums;
        }

        /**
         * Returns the per-sequence sums {@code [N]} (detached).
         *
         * @return the sums
         */
        public NDArray sums() {
            return sums;
        }

        /**
         * Returns the completion token counts {@code [N]} (float32).
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
         * @param gradSums {@code ∂loss/∂sums}, shape {@code [N]}
         */
        public void backward(GradientCollector collector, NDArray gradSums) {
            if (selected == null) {
                return;
            }
            NDArray g = gradSums.stopGradient();
            if (attachedSums != null) {
                collector.backward(attachedSums.mul(g).sum());
                return;
            }
            NDManager m = selected.getManager();
            NDArray leaf = selected.stopGradient();
            leaf.setRequiresGradient(true);
            float[] weights = g.toType(DataType.FLOAT32, false).toFloatArray();
            int chunk = owner.chunkSize;
            for (int start = 0; start < positions.size(); start += chunk) {
                int end = Math.min(positions.size(), start + chunk);
                try (NDManager sub = m.newSubManager()) {
                    NDArray rows = leaf.get(start + ":" + end);
                    NDArray part = chunkSums(rows, model.headWeight(), positions, start, end, weights.length, sub);
                    collector.backward(part.mul(sub.create(weights)).sum());
                }
            }
            NDArray injected = leaf.getGradient().stopGradient();
            collector.backward(selected.mul(injected).sum());
            leaf.setRequiresGradient(false);
        }
    }
}
