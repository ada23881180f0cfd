package io.github.dgpo.train.score;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.github.dgpo.core.logprobs.SequenceLogprobs;
import io.github.dgpo.data.batch.TokenCounts;
import io.github.dgpo.data.tokenize.TokenizedExample;
import io.github.dgpo.losses.UnpairedLogps;
import java.util.List;

/** A batch of unpaired examples scored by the policy and the reference (KTO's native form). */
public final class ScoredExamples {

    private final SequenceLogprobs.Result policy;
    private final float[] sums;
    private final float[] reference;
    private final float[][] mismatched;
    private final TokenCounts tokens;
    private final double flops;
    private NDArray leaf;

    ScoredExamples(SequenceLogprobs.Result policy, float[] reference, float[][] mismatched, TokenCounts tokens, double flops) {
        this.policy = policy;
        this.sums = policy.sums();
        this.reference = reference;
        this.mismatched = mismatched;
        this.tokens = tokens;
        this.flops = flops;
    }

    /** @return FLOPs the scoring needed, counting the policy pass as trained (forward and backward) */
    public double flops() {
        return flops;
    }

    /** @return the batch's token counts */
    public TokenCounts tokens() {
        return tokens;
    }

    /**
     * The loss's input: the policy sums as a leaf that collects the loss's gradient.
     *
     * @param examples the examples (for their desirable flags)
     * @param m where to create the arrays
     * @return the examples' log-probabilities
     */
    public UnpairedLogps logps(List<TokenizedExample> examples, NDManager m) {
        boolean[] desirable = new boolean[examples.size()];
        for (int i = 0; i < desirable.length; i++) {
            desirable[i] = examples.get(i).desirable();
        }
        leaf = m.create(sums);
        leaf.setRequiresGradient(true);
        return new UnpairedLogps(leaf, m.create(reference), m.create(desirable),
                mismatched == null ? null : m.create(mismatched[0]), mismatched == null ? null : m.create(mismatched[1]));
    }

    /**
     * Takes the gradient the loss left on the sums into the policy.
     *
     * @param collector the open gradient collector
     */
    public void backward(GradientCollector collector) {
        policy.backward(collector, leaf.getGradient());
    }
}
