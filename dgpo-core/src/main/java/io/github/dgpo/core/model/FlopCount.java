package io.github.dgpo.core.model;

import io.github.dgpo.core.logprobs.CompletionTargets;

/**
 * The floating-point operations a pass needs, from the architecture: the decoder's linear
 * layers on every real token, attention scores and weighted values on the keys each query
 * actually sees (causality, branches, sliding window), and the output head on the completion
 * tokens only. Work an implementation does beyond that (masked-out attention entries,
 * recomputation) is not counted, so utilisation figures say how much of the machine the needed
 * work used. A multiply-add counts as 2.
 */
public final class FlopCount {

    private FlopCount() {}

    /**
     * Forward FLOPs of one pass.
     *
     * @param c the architecture
     * @param input the rows
     * @param targets the completion tokens going through the head
     * @return FLOPs
     */
    public static double forward(ModelConfig c, ModelInput input, CompletionTargets targets) {
        return body(c, input) + head(c, targets);
    }

    /**
     * FLOPs of the decoder (linear layers and attention), forward.
     *
     * @param c the architecture
     * @param input the rows
     * @return FLOPs
     */
    public static double body(ModelConfig c, ModelInput input) {
        double h = c.hiddenSize();
        double q = (double) c.heads() * c.headDim();
        double kv = (double) c.kvHeads() * c.headDim();
        double linearPerToken = 2 * (h * q + 2 * h * kv + q * h + 3 * h * c.intermediateSize());
        java.util.Map<Integer, Long> keys = new java.util.HashMap<>();
        long tokens = input.tokens();
        double flops = 0;
        for (int layer = 0; layer < c.layers(); layer++) {
            long seen = keys.computeIfAbsent(c.slidingWindow(layer), w -> visibleKeys(input, w));
            flops += linearPerToken * tokens + 4 * q * seen;
        }
        return flops;
    }

    /**
     * FLOPs of the output head on the completion tokens, forward.
     *
     * @param c the architecture
     * @param targets the completion tokens
     * @return FLOPs
     */
    public static double head(ModelConfig c, CompletionTargets targets) {
        return 2.0 * c.hiddenSize() * c.vocabSize() * targets.size();
    }

    /**
     * Query-key pairs attention needs: over every real token, the keys it sees.
     *
     * @param input the rows
     * @param window sliding window, 0 for none
     * @return the count
     */
    public static long visibleKeys(ModelInput input, int window) {
        if (window == 0) {
            return visibleKeysWithoutWindow(input);
        }
        long n = 0;
        for (int r = 0; r < input.rows(); r++) {
            for (int i = 0; i < input.lengths()[r]; i++) {
                for (int j = 0; j <= i; j++) {
                    if (input.visible(r, i, j, window)) {
                        n++;
                    }
                }
            }
        }
        return n;
    }

    /**
     * {@link #visibleKeys} without a window, in one pass per row (it runs on every training
     * batch): a query sees every earlier shared key and every earlier key of its own branch.
     */
    private static long visibleKeysWithoutWindow(ModelInput input) {
        long n = 0;
        for (int r = 0; r < input.rows(); r++) {
            int[] branches = input.branches()[r];
            int length = input.lengths()[r];
            int top = 0;
            for (int i = 0; i < length; i++) {
                top = Math.max(top, branches[i]);
            }
            long[] seen = new long[top + 1];
            for (int i = 0; i < length; i++) {
                int b = branches[i];
                seen[b]++;
                n += b == 0 ? seen[0] : seen[0] + seen[b];
            }
        }
        return n;
    }
}
