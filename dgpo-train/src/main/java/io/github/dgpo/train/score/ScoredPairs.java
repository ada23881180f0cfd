package io.github.dgpo.train.score;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.github.dgpo.core.logprobs.SequenceLogprobs;
import io.github.dgpo.losses.PairLogps;
import java.util.Arrays;

/**
 * A batch of pairs scored by the policy, with what the loss asked for besides (reference sums,
 * mismatched-pair sums), ready to become a loss's {@link PairLogps} and to take the loss's
 * gradient back into the policy.
 */
public final class ScoredPairs {

    private final SequenceLogprobs.Result policy;
    private final float[] sums;
    private final float[] counts;
    private final float[] reference;
    private final float[][] mismatched;
    private final long logicalTokens;
    private NDArray chosenLeaf;
    private NDArray rejectedLeaf;

    ScoredPairs(SequenceLogprobs.Result policy, float[] reference, float[][] mismatched, long logicalTokens) {
        this.policy = policy;
        this.sums = policy.sums().toFloatArray();
        this.counts = policy.counts().toFloatArray();
        this.reference = reference;
        this.mismatched = mismatched;
        this.logicalTokens = logicalTokens;
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

    /** @return real tokens of both completions' rows, counted as separate rows */
    public long logicalTokens() {
        return logicalTokens;
    }

    /**
     * The loss's input: the policy sums as leaves that collect the loss's gradient, plus the
     * extra inputs that were scored.
     *
     * @param m where to create the arrays
     * @return the pairs' log-probabilities
     */
    public PairLogps logps(NDManager m) {
        int b = size();
        chosenLeaf = m.create(Arrays.copyOfRange(sums, 0, b));
        rejectedLeaf = m.create(Arrays.copyOfRange(sums, b, 2 * b));
        chosenLeaf.setRequiresGradient(true);
        rejectedLeaf.setRequiresGradient(true);
        PairLogps logps = PairLogps.of(chosenLeaf, rejectedLeaf, m.create(Arrays.copyOfRange(counts, 0, b)), m.create(Arrays.copyOfRange(counts, b, 2 * b)));
        if (reference != null) {
            logps = logps.withReference(m.create(Arrays.copyOfRange(reference, 0, b)), m.create(Arrays.copyOfRange(reference, b, 2 * b)));
        }
        if (mismatched != null) {
            logps = logps.withMismatched(m.create(mismatched[0]), m.create(mismatched[1]));
        }
        return logps;
    }

    /**
     * Takes the gradient the loss left on the sums (after the loss's backward) into the policy.
     *
     * @param collector the open gradient collector
     */
    public void backward(GradientCollector collector) {
        if (chosenLeaf == null) {
            throw new IllegalStateException("compute the loss on logps() first");
        }
        policy.backward(collector, chosenLeaf.getGradient().concat(rejectedLeaf.getGradient()));
    }
}
