package io.github.dgpo.core.logprobs;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.dgpo.core.NoGradient;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The full-vocabulary divergences between a pair's two completions at their aligned positions
 * (DGPO paper Eq. 8-9): for each {@code i} below the shorter completion's length, {@code
 * KL(π(·|x, y_w<i) ‖ π(·|x, y_l<i))} (forward) and {@code KL(π(·|x, y_l<i) ‖ π(·|x, y_w<i))}
 * (reverse), summed over {@code i} per pair. The hidden states are the ones that predict the
 * completion tokens (already selected by {@link SequenceLogprobs}); the head runs on chunks of
 * aligned positions, so no {@code [N, T, V]} exists: first without gradient for the sums, then,
 * in {@link #backward}, again with gradient, accumulating into the selected states' gradient
 * (which {@link SequenceLogprobs.Result#backward} then takes into the body) and the head.
 */
public final class AlignedDivergences {

    private final SequenceLogprobs.Result result;
    private final int chunkSize;
    /** Per aligned position: the pair, and the target indices of the chosen and rejected tokens. */
    private final int[] pairOf;
    private final int[] chosenToken;
    private final int[] rejectedToken;
    private final int pairs;
    private final float[] forward;
    private final float[] reverse;

    AlignedDivergences(SequenceLogprobs.Result result, int[][] groups, int chunkSize) {
        this.result = result;
        this.chunkSize = chunkSize;
        this.pairs = groups.length;
        CompletionTargets t = result.targets();
        int[][] tokensOf = t.tokensBySequence();
        List<int[]> aligned = new ArrayList<>();
        for (int p = 0; p < groups.length; p++) {
            int[] w = tokensOf[groups[p][0]];
            int[] l = tokensOf[groups[p][1]];
            for (int i = 0; i < Math.min(w.length, l.length); i++) {
                aligned.add(new int[] {p, w[i], l[i]});
            }
        }
        pairOf = aligned.stream().mapToInt(a -> a[0]).toArray();
        chosenToken = aligned.stream().mapToInt(a -> a[1]).toArray();
        rejectedToken = aligned.stream().mapToInt(a -> a[2]).toArray();
        forward = new float[pairs];
        reverse = new float[pairs];
        if (pairOf.length > 0) {
            try (NoGradient off = NoGradient.enter()) {
                NDArray frozenHead = result.model().headWeight().stopGradient();
                NDArray frozenLeaf = result.leaf().stopGradient();
                for (int start = 0; start < pairOf.length; start += step()) {
                    int end = Math.min(pairOf.length, start + step());
                    try (NDManager sub = result.leaf().getManager().newSubManager()) {
                        NDArray[] kl = chunk(frozenLeaf, frozenHead, start, end, sub);
                        SequenceLogprobs.add(forward, kl[0].toFloatArray());
                        SequenceLogprobs.add(reverse, kl[1].toFloatArray());
                    }
                }
            }
        }
    }

    private int step() {
        return chunkSize == SequenceLogprobs.NO_CHUNKING ? Integer.MAX_VALUE : Math.max(1, chunkSize / 2);
    }

    /** @return {@code Σ_i KL(π_w,i ‖ π_l,i)} per pair */
    public float[] forward() {
        return forward.clone();
    }

    /** @return {@code Σ_i KL(π_l,i ‖ π_w,i)} per pair */
    public float[] reverse() {
        return reverse.clone();
    }

    /** @return aligned positions in the batch */
    public int positions() {
        return pairOf.length;
    }

    /**
     * Backpropagates {@code Σ_p (gForward_p·forward_p + gReverse_p·reverse_p)} into the selected
     * hidden states' gradient and the head; call before the sums' {@link
     * SequenceLogprobs.Result#backward}, which takes the states' gradient into the body.
     *
     * @param collector the open gradient collector
     * @param gradForward {@code ∂loss/∂forward} per pair
     * @param gradReverse {@code ∂loss/∂reverse} per pair
     */
    public void backward(GradientCollector collector, float[] gradForward, float[] gradReverse) {
        NDArray leaf = result.leaf();
        leaf.setRequiresGradient(true);
        for (int start = 0; start < pairOf.length; start += step()) {
            int end = Math.min(pairOf.length, start + step());
            try (NDManager sub = leaf.getManager().newSubManager()) {
                NDArray[] kl = chunk(leaf, result.model().headWeight(), start, end, sub);
                NDArray total = kl[0].mul(sub.create(gradForward)).sum().add(kl[1].mul(sub.create(gradReverse)).sum());
                collector.backward(total);
            }
        }
    }

    /** {forward, reverse} per pair over aligned positions {@code [start, end)}. */
    private NDArray[] chunk(NDArray leaf, NDArray head, int start, int end, NDManager m) {
        int n = end - start;
        NDArray lw = logSoftmax(SequenceLogprobs.rowsOf(leaf, Arrays.copyOfRange(chosenToken, start, end), m), head);
        NDArray ll = logSoftmax(SequenceLogprobs.rowsOf(leaf, Arrays.copyOfRange(rejectedToken, start, end), m), head);
        NDArray diff = lw.sub(ll);
        NDArray fwd = lw.exp().mul(diff).sum(new int[] {1});
        NDArray rev = ll.exp().mul(diff.neg()).sum(new int[] {1});
        float[] onehot = new float[pairs * n];
        for (int k = 0; k < n; k++) {
            onehot[pairOf[start + k] * n + k] = 1f;
        }
        NDArray segments = m.create(onehot, new Shape(pairs, n));
        return new NDArray[] {segments.matMul(fwd.reshape(-1, 1)).reshape(pairs), segments.matMul(rev.reshape(-1, 1)).reshape(pairs)};
    }

    /** {@code log softmax(rows · head^T)} with a max shift. */
    private static NDArray logSoftmax(NDArray rows, NDArray head) {
        NDArray logits = rows.getNDArrayInternal().linear(rows, head, null).singletonOrThrow();
        NDArray max = logits.max(new int[] {1}, true).stopGradient();
        NDArray shifted = logits.sub(max);
        return shifted.sub(shifted.exp().sum(new int[] {1}, true).log());
    }

    @Override
    public String toString() {
        return "AlignedDivergences(" + pairs + " pairs, " + pairOf.length + " positions, forward " + Arrays.toString(forward) + ")";
    }
}
