package io.github.dgpo.train.score;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.github.dgpo.core.logprobs.AlignedDivergences;
import io.github.dgpo.core.logprobs.SequenceLogprobs;
import io.github.dgpo.data.batch.TokenCounts;
import io.github.dgpo.losses.PairLogps;

/**
 * A batch of pairs scored by the policy, with what the loss asked for besides (reference sums,
 * mismatched-pair sums, alignment sums), ready to become a loss's {@link PairLogps} and to take
 * the loss's gradient back into the policy.
 */
public final class ScoredPairs {

    private final SequenceLogprobs.Result policy;
    private final float[] sums;
    private final float[] counts;
    private final float[] reference;
    private final float[][] mismatched;
    private final float[] alignment;
    private final TokenCounts tokens;
    private final double flops;
    private final AlignedDivergences divergences;
    private NDArray leaf;
    private NDArray forwardLeaf;
    private NDArray reverseLeaf;

    ScoredPairs(SequenceLogprobs.Result policy, float[] reference, float[][] mismatched, TokenCounts tokens, double flops) {
        this(policy, reference, mismatched, null, tokens, flops);
    }

    ScoredPairs(SequenceLogprobs.Result policy, float[] reference, float[][] mismatched, AlignedDivergences divergences, TokenCounts tokens, double flops) {
        this.policy = policy;
        this.sums = policy.sums();
        this.counts = policy.counts();
        this.alignment = policy.alignment();
        this.reference = reference;
        this.mismatched = mismatched;
        this.tokens = tokens;
        this.flops = flops;
        this.divergences = divergences;
    }

    /** @return FLOPs the scoring needed, counting the policy pass as trained (forward and backward) */
    public double flops() {
        return flops;
    }

    /** @return pairs {@code B} */
    public int size() {
        return sums.length / 2;
    }

    /** @return policy sums, chosen then rejected ({@code 2B}) */
    public float[] sums() {
        return sums.clone();
    }

    /** @return completion tokens, chosen then rejected ({@code 2B}) */
    public float[] counts() {
        return counts.clone();
    }

    /** @return reference sums ({@code 2B}), or null */
    public float[] reference() {
        return reference == null ? null : reference.clone();
    }

    /** @return the batch's token counts */
    public TokenCounts tokens() {
        return tokens;
    }

    /**
     * The loss's input: the policy sums as a leaf that collects the loss's gradient, plus the
     * extra inputs that were scored.
     *
     * @param m where to create the arrays
     * @return the pairs' log-probabilities
     */
    public PairLogps logps(NDManager m) {
        leaf = m.create(sums);
        leaf.setRequiresGradient(true);
        int[] all = new int[size()];
        java.util.Arrays.setAll(all, i -> i);
        PairLogps logps = of(leaf, all, counts, reference, alignment, m);
        if (mismatched != null) {
            logps = logps.withMismatched(m.create(mismatched[0]), m.create(mismatched[1]));
        }
        if (divergences != null) {
            forwardLeaf = m.create(divergences.forward());
            reverseLeaf = m.create(divergences.reverse());
            forwardLeaf.setRequiresGradient(true);
            reverseLeaf.setRequiresGradient(true);
            logps = logps.withAlignedKl(forwardLeaf, reverseLeaf);
        }
        return logps;
    }

    /**
     * Takes the gradient the loss left on the sums (after the loss's backward) into the policy.
     *
     * @param collector the open gradient collector
     */
    public void backward(GradientCollector collector) {
        if (leaf == null) {
            throw new IllegalStateException("compute the loss on logps() first");
        }
        if (divergences != null) {
            divergences.backward(collector, gradientOf(forwardLeaf), gradientOf(reverseLeaf));
        }
        policy.backward(collector, leaf.getManager().create(gradientOf(leaf)));
    }

    /** A leaf's gradient, zeros when the loss did not depend on it. */
    private static float[] gradientOf(NDArray leaf) {
        NDArray g = leaf.getGradient();
        return g == null || g.size() != leaf.size() ? new float[Math.toIntExact(leaf.size())] : g.toFloatArray();
    }

    /**
     * Takes a given gradient of the loss with respect to the policy sums into the policy (to
     * differentiate one sequence's log-probability alone, for instance).
     *
     * @param collector the open gradient collector
     * @param gradSums {@code ∂/∂S} per sequence, chosen then rejected ({@code 2B})
     * @param m where to create the array
     */
    public void backward(GradientCollector collector, float[] gradSums, NDManager m) {
        policy.backward(collector, m.create(gradSums));
    }

    /**
     * Some pairs' log-probabilities from the batch's per-sequence arrays (chosen {@code p},
     * rejected {@code B + p}).
     *
     * @param sums policy sums of all {@code 2B} sequences (on the graph or not)
     * @param pairs the pairs to take
     * @param counts completion tokens of all sequences
     * @param reference reference sums of all sequences, or null
     * @param alignment alignment sums of all sequences, or null
     * @param m where to create the arrays
     * @return the pairs' log-probabilities
     */
    static PairLogps of(NDArray sums, int[] pairs, float[] counts, float[] reference, float[] alignment, NDManager m) {
        int b = counts.length / 2;
        long[] chosen = new long[pairs.length];
        long[] rejected = new long[pairs.length];
        for (int i = 0; i < pairs.length; i++) {
            chosen[i] = pairs[i];
            rejected[i] = b + pairs[i];
        }
        PairLogps logps = PairLogps.of(sums.gather(m.create(chosen), 0), sums.gather(m.create(rejected), 0), m.create(pick(counts, chosen)),
                m.create(pick(counts, rejected)));
        if (reference != null) {
            logps = logps.withReference(m.create(pick(reference, chosen)), m.create(pick(reference, rejected)));
        }
        if (alignment != null) {
            logps = logps.withAlignment(m.create(pick(alignment, chosen)), m.create(pick(alignment, rejected)));
        }
        return logps;
    }

    private static float[] pick(float[] values, long[] at) {
        float[] out = new float[at.length];
        for (int i = 0; i < at.length; i++) {
            out[i] = values[(int) at[i]];
        }
        return out;
    }
}
