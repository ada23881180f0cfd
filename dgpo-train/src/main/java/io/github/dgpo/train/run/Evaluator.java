package io.github.dgpo.train.run;

import ai.djl.ndarray.NDManager;
import io.github.dgpo.core.logprobs.SequenceLogprobs;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.data.batch.PackedBatch;
import io.github.dgpo.data.batch.RowLayout;
import io.github.dgpo.data.tokenize.TokenizedPair;
import java.util.List;

/**
 * Held-out preference accuracy of a model: how often the chosen response is more likely than
 * the rejected one, on sums and on per-token averages, and with a reference the implicit-reward
 * accuracy ({@code log π/π_ref} of chosen above rejected), with the mean log-probabilities.
 */
public final class Evaluator {

    /**
     * The evaluation's numbers.
     *
     * @param pairs pairs evaluated
     * @param accuracySum fraction with {@code S_w > S_l}
     * @param accuracyAverage fraction with {@code A_w > A_l}
     * @param implicitRewardAccuracy fraction with {@code S_w - R_w > S_l - R_l}, NaN without a reference
     * @param chosenLogps mean {@code S_w}
     * @param rejectedLogps mean {@code S_l}
     * @param chosenLogpsAverage mean {@code A_w}
     * @param rejectedLogpsAverage mean {@code A_l}
     */
    public record Result(int pairs, double accuracySum, double accuracyAverage, double implicitRewardAccuracy,
            double chosenLogps, double rejectedLogps, double chosenLogpsAverage, double rejectedLogpsAverage) {}

    private Evaluator() {}

    /**
     * Evaluates a model.
     *
     * @param model the model
     * @param reference the reference, or null
     * @param pairs the pairs
     * @param padId the pad id
     * @param batchSize pairs per forward pass
     * @param chunkSize head chunk size
     * @param manager parent manager
     * @return the numbers
     */
    public static Result evaluate(CausalLm model, CausalLm reference, List<TokenizedPair> pairs, long padId, int batchSize, int chunkSize, NDManager manager) {
        RowLayout layout = RowLayout.separate(padId);
        SequenceLogprobs logprobs = new SequenceLogprobs(chunkSize);
        int sumWins = 0;
        int avgWins = 0;
        int rewardWins = 0;
        double cw = 0;
        double cl = 0;
        double aw = 0;
        double al = 0;
        for (int start = 0; start < pairs.size(); start += batchSize) {
            List<TokenizedPair> part = pairs.subList(start, Math.min(pairs.size(), start + batchSize));
            PackedBatch batch = layout.pairs(part);
            int b = part.size();
            try (NDManager m = manager.newSubManager()) {
                float[] s = logprobs.compute(model, batch.input(), batch.targets(), m).sums();
                float[] r = reference == null ? null : logprobs.compute(reference, batch.input(), batch.targets(), m).sums();
                for (int i = 0; i < b; i++) {
                    TokenizedPair p = part.get(i);
                    double avgW = s[i] / p.chosen().length;
                    double avgL = s[b + i] / p.rejected().length;
                    sumWins += s[i] > s[b + i] ? 1 : 0;
                    avgWins += avgW > avgL ? 1 : 0;
                    if (r != null) {
                        rewardWins += s[i] - r[i] > s[b + i] - r[b + i] ? 1 : 0;
                    }
                    cw += s[i];
                    cl += s[b + i];
                    aw += avgW;
                    al += avgL;
                }
            }
        }
        int n = Math.max(1, pairs.size());
        return new Result(pairs.size(), sumWins / (double) n, avgWins / (double) n, reference == null ? Double.NaN : rewardWins / (double) n,
                cw / n, cl / n, aw / n, al / n);
    }
}
