package io.github.dgpo.examples.repro;

import ai.djl.ndarray.NDManager;
import io.github.dgpo.core.OfflineEngine;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.data.DataFormat;
import io.github.dgpo.data.Datasets;
import io.github.dgpo.data.ReadReport;
import io.github.dgpo.data.tokenize.PairTokenizer;
import io.github.dgpo.data.tokenize.TokenizeOptions;
import io.github.dgpo.data.tokenize.TokenizedPair;
import io.github.dgpo.train.run.Evaluator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Scores trained models on a dataset's pairs with the SFT model as reference, so every loss is
 * judged by the same numbers whatever its own margin is: how often the model prefers the chosen
 * response (on sums and on per-token averages), how often training moved the chosen response up
 * relative to the rejected one ({@code log π/π_sft}, DPO's implicit-reward accuracy), the mean
 * per-token log-probabilities, and the spread of DGPO's weight {@code e^{A_w} + e^{A_l}}.
 */
public final class HeldOutScorer implements AutoCloseable {

    /**
     * Five points of a distribution.
     *
     * @param min smallest
     * @param p10 10th percentile
     * @param median median
     * @param p90 90th percentile
     * @param max largest
     */
    public record Quantiles(double min, double p10, double median, double p90, double max) {
        static Quantiles of(double[] x) {
            double[] s = x.clone();
            Arrays.sort(s);
            return new Quantiles(s[0], at(s, 0.1), at(s, 0.5), at(s, 0.9), s[s.length - 1]);
        }

        private static double at(double[] sorted, double q) {
            double pos = q * (sorted.length - 1);
            int lo = (int) Math.floor(pos);
            int hi = Math.min(sorted.length - 1, lo + 1);
            return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
        }
    }

    /**
     * A model on a set of pairs.
     *
     * @param pairs pairs scored
     * @param accuracySum fraction with {@code S_w > S_l}
     * @param accuracyAverage fraction with {@code A_w > A_l}
     * @param rewardAccuracy fraction with {@code S_w - S_w^sft > S_l - S_l^sft}
     * @param chosenAverage mean {@code A_w}
     * @param rejectedAverage mean {@code A_l}
     * @param weight DGPO's {@code e^{A_w} + e^{A_l}} over the pairs
     */
    public record HeldOut(int pairs, double accuracySum, double accuracyAverage, double rewardAccuracy, double chosenAverage, double rejectedAverage, Quantiles weight) {}

    private final NDManager root;
    private final CausalLm sft;
    private final List<TokenizedPair> train;
    private final List<TokenizedPair> eval;
    private final long padId;
    /** The SFT model's own scores on the training and the held-out pairs, each computed once. */
    private Evaluator.Scores sftTrain;
    private Evaluator.Scores sftEval;

    /**
     * Reads and tokenizes the pairs and loads the SFT model.
     *
     * @param tokenizer the tokenizer folder
     * @param maxLength the runs' {@code max_length}
     * @param trainFile the training pairs ({@code jsonl})
     * @param evalFile the held-out pairs
     * @param sftModel the SFT model folder
     * @throws IOException if a file cannot be read
     */
    HeldOutScorer(Path tokenizer, int maxLength, Path trainFile, Path evalFile, Path sftModel) throws IOException {
        OfflineEngine.configure();
        try (PairTokenizer t = PairTokenizer.fromFolder(tokenizer, new TokenizeOptions(maxLength, 0))) {
            this.train = t.tokenizeAll(Datasets.readPairs(Datasets.Spec.of(DataFormat.JSONL, trainFile)).examples(), new ReadReport(false));
            this.eval = t.tokenizeAll(Datasets.readPairs(Datasets.Spec.of(DataFormat.JSONL, evalFile)).examples(), new ReadReport(false));
            this.padId = t.padId();
        }
        this.root = OfflineEngine.newManager();
        try {
            this.sft = CausalLm.load(sftModel, root);
        } catch (IOException | RuntimeException e) {
            root.close();
            throw e;
        }
    }

    /**
     * A model on the held-out pairs.
     *
     * @param model the model folder
     * @return the numbers
     * @throws IOException if the model cannot be read
     */
    HeldOut heldOut(Path model) throws IOException {
        try (NDManager m = root.newSubManager(); CausalLm lm = CausalLm.load(model, m)) {
            return summary(scores(lm, eval, m), sftScores(false));
        }
    }

    /**
     * The SFT model itself on the training or the held-out pairs (its reward accuracy is 0).
     *
     * @param training the training pairs, else the held-out ones
     * @return the numbers
     */
    HeldOut sft(boolean training) {
        Evaluator.Scores own = sftScores(training);
        return summary(own, own);
    }

    private Evaluator.Scores sftScores(boolean training) {
        if (training && sftTrain == null) {
            sftTrain = sftScoresOn(train);
        } else if (!training && sftEval == null) {
            sftEval = sftScoresOn(eval);
        }
        return training ? sftTrain : sftEval;
    }

    private Evaluator.Scores sftScoresOn(List<TokenizedPair> pairs) {
        try (NDManager m = root.newSubManager()) {
            return scores(sft, pairs, m);
        }
    }

    private Evaluator.Scores scores(CausalLm model, List<TokenizedPair> pairs, NDManager m) {
        return Evaluator.score(model, null, pairs, padId, 32, 256, m);
    }

    /** A model's scores against the SFT model's on the same pairs. */
    private static HeldOut summary(Evaluator.Scores s, Evaluator.Scores sftOwn) {
        double[] aw = s.chosenAverage();
        double[] al = s.rejectedAverage();
        int n = aw.length;
        double[] weight = new double[n];
        int sum = 0;
        int avg = 0;
        int reward = 0;
        for (int i = 0; i < n; i++) {
            weight[i] = Math.exp(aw[i]) + Math.exp(al[i]);
            sum += s.chosen()[i] > s.rejected()[i] ? 1 : 0;
            avg += aw[i] > al[i] ? 1 : 0;
            reward += s.chosen()[i] - sftOwn.chosen()[i] > s.rejected()[i] - sftOwn.rejected()[i] ? 1 : 0;
        }
        return new HeldOut(n, sum / (double) n, avg / (double) n, reward / (double) n, Arrays.stream(aw).average().orElse(Double.NaN),
                Arrays.stream(al).average().orElse(Double.NaN), Quantiles.of(weight));
    }

    @Override
    public void close() {
        sft.close();
        root.close();
    }
}
