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
import java.util.ArrayList;
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
     *     pair by pair (batch-dependent losses always take the two-pass head)
     * @param root the parent manager
     */
    PairObjective(PairScorer scorer, PreferenceLoss loss, TrainingData data, int evalBatch, boolean onePassHead, NDManager root) {
        this.scorer = scorer;
        this.loss = loss;
        this.train = data.train();
        this.eval = data.eval();
        this.evalBatch = evalBatch;
        this.onePass = onePassHead && !loss.batchDependent();
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
        List<TokenizedPair> pairs = new ArrayList<>();
        for (int i : indices) {
            pairs.add(train.get(i));
        }
        try (NDManager m = root.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            if (onePass) {
                return trainOnePass(pairs, indices, scale, gc, m);
            }
            ScoredPairs scored = scorer.pairs(pairs, indices, loss.inputs(), m);
            LossOutput out = loss.compute(scored.logps(m));
            gc.backward(Scalars.times(out.loss(), scale));
            scored.backward(gc);
            return new MicroBatch(out.loss().getFloat(), out.metrics(), pairs.size(), scored.logicalTokens(), scored.flops());
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
        return new MicroBatch(lossSum[0] / b, metrics.means(), b, scored.logicalTokens(), scored.flops());
    }

    @Override
    public Evaluation evaluate() {
        return evaluate(eval, train.size());
    }

    /**
     * The loss's metrics on pairs, without gradient.
     *
     * @param pairs the pairs
     * @param firstKey the key of the first pair (for a precomputed reference)
     * @return means over the pairs
     */
    Evaluation evaluate(List<TokenizedPair> pairs, int firstKey) {
        MetricsWindow window = new MetricsWindow();
        try (NoGradient off = NoGradient.enter()) {
            for (int start = 0; start < pairs.size(); start += evalBatch) {
                List<TokenizedPair> part = pairs.subList(start, Math.min(pairs.size(), start + evalBatch));
                int[] keys = new int[part.size()];
                for (int i = 0; i < keys.length; i++) {
                    keys[i] = firstKey + start + i;
                }
                try (NDManager m = root.newSubManager()) {
                    window.add(loss.compute(scorer.pairs(part, keys, loss.inputs(), m).logps(m)).metrics(), part.size());
                }
            }
        }
        return new Evaluation(window.means(), "pairs", pairs.size());
    }
}
