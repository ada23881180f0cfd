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
     * Per-pair sequence log-probabilities of a model (and a reference), in the pairs' order.
     *
     * @param chosen {@code S_w} per pair
     * @param rejected {@code S_l} per pair
     * @param refChosen the reference's {@code S_w}, or null without a reference
     * @param refRejected the reference's {@code S_l}, or null
     * @param chosenTokens completion tokens of each chosen response
     * @param rejectedTokens completion tokens of each rejected response
     */
    public record Scores(double[] chosen, double[] rejected, double[] refChosen, double[] refRejected, int[] chosenTokens, int[] rejectedTokens) {

        /** @return {@code A_w = S_w / n_w} per pair */
        public double[] chosenAverage() {
            return average(chosen, chosenTokens);
        }

        /** @return {@code A_l = S_l / n_l} per pair */
        public double[] rejectedAverage() {
            return average(rejected, rejectedTokens);
        }

        private static double[] average(double[] sums, int[] tokens) {
            double[] out = new double[sums.length];
            for (int i = 0; i < sums.length; i++) {
                out[i] = sums[i] / tokens[i];
            }
            return out;
        }
    }

    /**
     * Scores every pair without gradient.
     *
     * @param model the model
     * @param reference the reference, or null
     * @param pairs the pairs
     * @param padId the pad id
     * @param batchSize pairs per forward pass
     * @param chunkSize head chunk size
     * @param manager parent manager
     * @return the per-pair values
     */
    public static Scores score(CausalLm model, CausalLm reference, List<TokenizedPair> pairs, long padId, int batchSize, int chunkSize, NDManager manager) {
        RowLayout layout = RowLayout.separate(padId);
        SequenceLogprobs logprobs = new SequenceLogprobs(chunkSize);
        int n = pairs.size();
        double[] sw = new double[n];
        double[] sl = new double[n];
        double[] rw = reference == null ? null : new double[n];
        double[] rl = reference == null ? null : new double[n];
        int[] nw = new int[n];
        int[] nl = new int[n];
        for (int start = 0; start < n; start += batchSize) {
            List<TokenizedPair> part = pairs.subList(start, Math.min(n, start + batchSize));
            PackedBatch batch = layout.pairs(part);
            int b = part.size();
            try (NDManager m = manager.newSubManager()) {
                float[] s = logprobs.compute(model, batch.input(), batch.targets(), m).sums();
                float[] r = reference == null ? null : logprobs.compute(reference, batch.input(), batch.targets(), m).sums();
                for (int i = 0; i < b; i++) {
                    sw[start + i] = s[i];
                    sl[start + i] = s[b + i];
                    if (r != null) {
                        rw[start + i] = r[i];
                        rl[start + i] = r[b + i];
                    }
                    nw[start + i] = part.get(i).chosen().length;
                    nl[start + i] = part.get(i).rejected().length;
                }
            }
        }
        return new Scores(sw, sl, rw, rl, nw, nl);
    }

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
        Scores s = score(model, reference, pairs, padId, batchSize, chunkSize, manager);
        double[] aw = s.chosenAverage();
        double[] al = s.rejectedAverage();
        int sumWins = 0;
        int avgWins = 0;
        int rewardWins = 0;
        double cw = 0;
        double cl = 0;
        double mw = 0;
        double ml = 0;
        for (int i = 0; i < pairs.size(); i++) {
            sumWins += s.chosen()[i] > s.rejected()[i] ? 1 : 0;
            avgWins += aw[i] > al[i] ? 1 : 0;
            if (reference != null) {
                rewardWins += s.chosen()[i] - s.refChosen()[i] > s.rejected()[i] - s.refRejected()[i] ? 1 : 0;
            }
            cw += s.chosen()[i];
            cl += s.rejected()[i];
            mw += aw[i];
            ml += al[i];
        }
        int n = Math.max(1, pairs.size());
        return new Result(pairs.size(), sumWins / (double) n, avgWins / (double) n, reference == null ? Double.NaN : rewardWins / (double) n,
                cw / n, cl / n, mw / n, ml / n);
    }
}
