package io.github.dgpo.train.run;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.github.dgpo.core.NoGradient;
import io.github.dgpo.core.Scalars;
import io.github.dgpo.data.tokenize.TokenizedExample;
import io.github.dgpo.losses.LossOutput;
import io.github.dgpo.losses.UnpairedLoss;
import io.github.dgpo.train.score.PairScorer;
import io.github.dgpo.train.score.ScoredExamples;
import java.util.List;

/**
 * A loss's unpaired form (KTO's native data): one row per example, the reference scoring each
 * batch, and the mismatched examples for the reference point when the loss asks for them.
 */
final class UnpairedObjective implements Objective {

    private final PairScorer scorer;
    private final UnpairedLoss loss;
    private final List<TokenizedExample> train;
    private final List<TokenizedExample> eval;
    private final int evalBatch;
    private final NDManager root;

    UnpairedObjective(PairScorer scorer, UnpairedLoss loss, TrainingData data, int evalBatch, NDManager root) {
        this.scorer = scorer;
        this.loss = loss;
        this.train = data.trainUnpaired();
        this.eval = data.evalUnpaired();
        this.evalBatch = evalBatch;
        this.root = root;
    }

    @Override
    public int trainSize() {
        return train.size();
    }

    @Override
    public int[] trainLengths() {
        return train.stream().mapToInt(e -> e.prompt().length + e.completion().length).toArray();
    }

    @Override
    public boolean hasEvaluation() {
        return !eval.isEmpty();
    }

    @Override
    public MicroBatch train(int[] indices, double scale) {
        List<TokenizedExample> examples = Objective.pick(train, indices);
        try (NDManager m = root.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            ScoredExamples scored = scorer.examples(examples, loss.needsMismatchedExamples(), m);
            LossOutput out = loss.computeUnpaired(scored.logps(examples, m));
            gc.backward(Scalars.times(out.loss(), scale));
            scored.backward(gc);
            return new MicroBatch(out.loss().getFloat(), out.metrics(), examples.size(), scored.tokens(), scored.flops());
        }
    }

    @Override
    public Evaluation evaluate() {
        MetricsWindow window = new MetricsWindow();
        try (NoGradient off = NoGradient.enter()) {
            for (int start = 0; start < eval.size(); start += evalBatch) {
                List<TokenizedExample> part = eval.subList(start, Math.min(eval.size(), start + evalBatch));
                try (NDManager m = root.newSubManager()) {
                    window.add(loss.computeUnpaired(scorer.examples(part, loss.needsMismatchedExamples(), m).logps(part, m)).metrics(), part.size());
                }
            }
        }
        return new Evaluation(window.means(), "examples", eval.size(), null);
    }
}
