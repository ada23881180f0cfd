package io.github.dgpo.train.run;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import io.github.dgpo.core.NoGradient;
import io.github.dgpo.data.tokenize.TokenizedPair;
import io.github.dgpo.losses.LossOutput;
import io.github.dgpo.losses.PreferenceLoss;
import io.github.dgpo.train.optim.Gradients;
import io.github.dgpo.train.score.PairScorer;
import io.github.dgpo.train.score.ScoredPairs;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gradient-entanglement quantities of the DGPO paper's Eq. 4-7 for one pair at the current
 * parameters: the gradients {@code ∇S_w} and {@code ∇S_l} of the chosen and rejected sequence
 * log-probabilities with respect to the trainable parameters (one backward each, through the
 * chunked head: no {@code [N, T, V]}), their norms and inner product, and the loss's {@code
 * d_w}, {@code d_l} for the pair alone. Must run between optimizer steps (gradients zero); it
 * leaves them zero.
 */
final class GradientProbe {

    private final PairScorer scorer;
    private final PreferenceLoss loss;
    private final Map<String, NDArray> parameters;

    GradientProbe(PairScorer scorer, PreferenceLoss loss, Map<String, NDArray> parameters) {
        this.scorer = scorer;
        this.loss = loss;
        this.parameters = parameters;
    }

    /**
     * One pair's quantities. The gradient copies live in {@code m}.
     *
     * @param sw {@code S_w}
     * @param sl {@code S_l}
     * @param dw {@code d_w = -∂L/∂S_w} of the pair's loss alone
     * @param dl {@code d_l = ∂L/∂S_l}
     * @param normW2 {@code ‖∇S_w‖²}
     * @param normL2 {@code ‖∇S_l‖²}
     * @param inner {@code ⟨∇S_w, ∇S_l⟩}
     * @param gradW {@code ∇S_w} by parameter
     * @param gradL {@code ∇S_l} by parameter
     */
    record Measurement(double sw, double sl, double dw, double dl, double normW2, double normL2, double inner, Map<String, NDArray> gradW,
            Map<String, NDArray> gradL) {

        /** @return the cosine of the two gradients */
        double cosine() {
            return inner / Math.sqrt(normW2 * normL2);
        }

        /** @return whether Eq. 6 holds: {@code ⟨∇w, ∇l⟩ <= (d_w/d_l)‖∇w‖²}, the condition for {@code S_w} to rise */
        boolean chosenCanRise() {
            return dl == 0 ? dw >= 0 : inner <= dw / dl * normW2;
        }

        /**
         * Eq. 4: the first-order change of {@code S_w} under a gradient step of size {@code η} on this pair's loss alone.
         *
         * @param eta the learning rate
         * @return {@code η(d_w‖∇w‖² - d_l⟨∇w, ∇l⟩)}
         */
        double predictedChosen(double eta) {
            return eta * (dw * normW2 - dl * inner);
        }

        /**
         * Eq. 5: the first-order change of {@code S_l}.
         *
         * @param eta the learning rate
         * @return {@code η(d_w⟨∇w, ∇l⟩ - d_l‖∇l‖²)}
         */
        double predictedRejected(double eta) {
            return eta * (dw * inner - dl * normL2);
        }
    }

    /**
     * Measures one pair.
     *
     * @param pair the pair
     * @param key its key in the run's data
     * @param m where the gradient copies live (close it to free them)
     * @return the quantities
     */
    Measurement measure(TokenizedPair pair, int key, NDManager m) {
        return loss.keepingState(() -> measureAsIs(pair, key, m));
    }

    private Measurement measureAsIs(TokenizedPair pair, int key, NDManager m) {
        double[] sums = new double[2];
        double[] d = new double[2];
        Map<String, NDArray> gw = gradient(pair, key, 0, m, sums, d);
        Map<String, NDArray> gl = gradient(pair, key, 1, m, sums, d);
        return new Measurement(sums[0], sums[1], d[0], d[1], dot(gw, gw), dot(gl, gl), dot(gw, gl), gw, gl);
    }

    /**
     * The pair's sums without gradient.
     *
     * @param pair the pair
     * @param key its key
     * @param m where temporaries live
     * @return {@code {S_w, S_l}}
     */
    double[] sums(TokenizedPair pair, int key, NDManager m) {
        try (NoGradient off = NoGradient.enter(); NDManager sub = m.newSubManager()) {
            float[] s = scorer.pairs(List.of(pair), new int[] {key}, java.util.Set.of(), sub).sums();
            return new double[] {s[0], s[1]};
        }
    }

    /** The gradient of one sequence's sum (0: chosen, 1: rejected), copied; also fills the sums and the loss's d_w, d_l. */
    private Map<String, NDArray> gradient(TokenizedPair pair, int key, int which, NDManager m, double[] sums, double[] d) {
        try (NDManager sub = m.newSubManager()) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                // the rejected pass back-propagates the policy sum alone: the loss's other inputs go unused
                ScoredPairs scored = scorer.pairs(List.of(pair), new int[] {key}, which == 0 ? loss.inputs() : java.util.Set.of(), sub);
                if (which == 0) {
                    float[] s = scored.sums();
                    sums[0] = s[0];
                    sums[1] = s[1];
                    LossOutput out = loss.compute(scored.logps(sub));
                    d[0] = out.dW().toType(DataType.FLOAT64, false).getDouble(0);
                    d[1] = out.dL().toType(DataType.FLOAT64, false).getDouble(0);
                }
                scored.backward(gc, which == 0 ? new float[] {1, 0} : new float[] {0, 1}, sub);
            }
            Map<String, NDArray> copy = new LinkedHashMap<>();
            parameters.forEach((name, p) -> {
                NDArray g = p.getGradient().duplicate();
                g.attach(m);
                copy.put(name, g);
            });
            Gradients.zero(parameters);
            return copy;
        }
    }

    /**
     * {@code Σ ⟨a, b⟩} over parameters, in float64.
     *
     * @param a arrays by parameter
     * @param b arrays by parameter (same names)
     * @return the inner product
     */
    static double dot(Map<String, NDArray> a, Map<String, NDArray> b) {
        double s = 0;
        for (Map.Entry<String, NDArray> e : a.entrySet()) {
            try (NDManager tmp = e.getValue().getManager().newSubManager()) {
                NDArray x = e.getValue().toType(DataType.FLOAT64, false);
                NDArray y = b.get(e.getKey()).toType(DataType.FLOAT64, false);
                x.attach(tmp);
                y.attach(tmp);
                NDArray p = x.mul(y).sum();
                p.attach(tmp);
                s += p.getDouble();
            }
        }
        return s;
    }
}
