package io.github.dgpo.train.run;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.github.dgpo.core.NoGradient;
import io.github.dgpo.core.Scalars;
import io.github.dgpo.data.tokenize.TokenizedPair;
import io.github.dgpo.losses.LossOutput;
import io.github.dgpo.losses.PreferenceLoss;
import io.github.dgpo.train.score.PairScorer;
import io.github.dgpo.train.score.ScoredPairs;
import java.util.List;

/** A preference loss over pairs: the policy's sums, the loss on them, and their gradient back. */
final class PairObjective implements Objective {

    private final PairScorer scorer;
    private final PreferenceLoss loss;
    private final List<TokenizedPair> train;
    private final List<TokenizedPair> eval;
    private final int evalBatch;
    private final boolean onePass;
    private final NDManager root;

    /**
     * Creates the objective.
     *
     * @param scorer the scorer
     * @param loss the loss
     * @param data the run's pairs
     * @param evalBatch pairs per evaluation pass
     * @param onePassHead whether to train through the one-pass head when the loss is computed
     *     pair by pair from the sums (batch-dependent losses and the aligned divergences always
     *     take the two-pass head)
     * @param root the parent manager
     */
    PairObjective(PairScorer scorer, PreferenceLoss loss, TrainingData data, int evalBatch, boolean onePassHead, NDManager root) {
        this.scorer = scorer;
        this.loss = loss;
        this.train = data.train();
        this.eval = data.eval();
        this.evalBatch = evalBatch;
        this.onePass = onePassHead && !loss.batchDependent() && !loss.inputs().contains(io.github.dgpo.losses.LossInput.ALIGNED_KL);
        this.root = root;
    }

    @Override
    public int trainSize() {
        return train.size();
    }

    @Override
    public int[] trainLengths() {
        return train.stream().mapToInt(TokenizedPair::maxRowLength).toArray();
    }

    @Override
    public boolean hasEvaluation() {
        return !eval.isEmpty();
    }

    @Override
    public MicroBatch train(int[] indices, double scale) {
        List<TokenizedPair> pairs = Objective.pick(train, indices);
        try (NDManager m = root.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            if (onePass) {
                return trainOnePass(pairs, indices, scale, gc, m);
            }
            ScoredPairs scored = scorer.pairs(pairs, indices, loss.inputs(), m);
            LossOutput out = loss.compute(scored.logps(m));
            gc.backward(Scalars.times(out.loss(), scale));
            scored.backward(gc);
            return new MicroBatch(out.loss().getFloat(), out.metrics(), pairs.size(), scored.tokens(), scored.flops());
        }
    }

    /** The one-pass head: each chunk of pairs computes its loss share and takes its gradient at once. */
    private MicroBatch trainOnePass(List<TokenizedPair> pairs, int[] indices, double scale, GradientCollector gc, NDManager m) {
        MetricsWindow metrics = new MetricsWindow();
        double[] lossSum = {0};
        int b = pairs.size();
        ScoredPairs scored = scorer.train(pairs, indices, loss.inputs(), (chunk, logps) -> {
            LossOutput out = loss.compute(logps);
            metrics.add(out.metrics(), chunk.length);
            lossSum[0] += out.loss().getFloat() * chunk.length;
            return Scalars.times(out.loss(), scale * chunk.length / b);
        }, gc, m);
        return new MicroBatch(lossSum[0] / b, metrics.means(), b, scored.tokens(), scored.flops());
    }

    @Override
    public Evaluation evaluate() {
        int[] keys = new int[eval.size()];
        java.util.Arrays.setAll(keys, i -> train.size() + i);
        return evaluate(eval, keys);
    }

    /**
     * The loss's metrics and per-pair values on pairs, without gradient; the loss's state (BCO's
     * running mean) stays as training left it.
     *
     * @param pairs the pairs
     * @param keys their keys (for a precomputed reference)
     * @return means over the pairs and the per-pair values
     */
    Evaluation evaluate(List<TokenizedPair> pairs, int[] keys) {
        return loss.keepingState(() -> score(pairs, keys));
    }

    private Evaluation score(List<TokenizedPair> pairs, int[] keys) {
        MetricsWindow window = new MetricsWindow();
        int n = pairs.size();
        double[][] values = new double[5][n];
        try (NoGradient off = NoGradient.enter()) {
            for (int start = 0; start < n; start += evalBatch) {
                int end = Math.min(n, start + evalBatch);
                List<TokenizedPair> part = pairs.subList(start, end);
                try (NDManager m = root.newSubManager()) {
                    ScoredPairs scored = scorer.pairs(part, java.util.Arrays.copyOfRange(keys, start, end), loss.inputs(), m);
                    LossOutput out = loss.compute(scored.logps(m));
                    window.add(out.metrics(), part.size());
                    float[] sums = scored.sums();
                    float[] counts = scored.counts();
                    double[] margins = out.margins().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
                    int b = part.size();
                    for (int i = 0; i < b; i++) {
                        values[0][start + i] = sums[i] / counts[i];
                        values[1][start + i] = sums[b + i] / counts[b + i];
                        values[2][start + i] = sums[i];
                        values[3][start + i] = sums[b + i];
                        values[4][start + i] = margins[i];
                    }
                }
            }
        }
        return new Evaluation(window.means(), "pairs", n, new Evaluation.PairValues(values[0], values[1], values[2], values[3], values[4]));
    }

    /** @return the training pairs */
    List<TokenizedPair> trainPairs() {
        return train;
    }
}
