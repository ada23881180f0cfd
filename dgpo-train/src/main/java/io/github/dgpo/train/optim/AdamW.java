package io.github.dgpo.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.dgpo.core.model.ParameterLayout;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW with decoupled weight decay (Loshchilov and Hutter; PyTorch's {@code torch.optim.AdamW}
 * update), weight decay off for norm weights and biases, and its state (first and second
 * moments, step count) exposed so checkpoints can save and restore it exactly. DJL's own Adam
 * keeps its moments private, so a resumed run could not continue it.
 */
public final class AdamW {

    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double weightDecay;
    private final Map<String, NDArray> first = new LinkedHashMap<>();
    private final Map<String, NDArray> second = new LinkedHashMap<>();
    private long steps;

    /**
     * Creates the optimizer with zero moments.
     *
     * @param parameters the parameters by name
     * @param manager manager owning the moments
     * @param beta1 first-moment decay
     * @param beta2 second-moment decay
     * @param epsilon denominator epsilon
     * @param weightDecay decoupled weight decay
     */
    public AdamW(Map<String, NDArray> parameters, NDManager manager, double beta1, double beta2, double epsilon, double weightDecay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
        parameters.forEach((name, p) -> {
            first.put(name, manager.zeros(p.getShape(), p.getDataType()));
            second.put(name, manager.zeros(p.getShape(), p.getDataType()));
        });
    }

    /**
     * Applies one update to every parameter from its gradient, in place (outside any gradient
     * collector).
     *
     * @param parameters the parameters by name
     * @param learningRate this step's learning rate
     */
    public void step(Map<String, NDArray> parameters, double learningRate) {
        steps++;
        double correction1 = 1 - Math.pow(beta1, steps);
        double correction2 = 1 - Math.pow(beta2, steps);
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            NDArray p = e.getValue();
            NDArray m = first.get(e.getKey());
            NDArray v = second.get(e.getKey());
            // DJL puts a result in its first operand's manager: every temporary goes to tmp.
            try (NDManager tmp = p.getManager().newSubManager()) {
                NDArray g = p.getGradient();
                g.attach(tmp);
                if (weightDecay != 0 && !ParameterLayout.isNormOrBias(e.getKey())) {
                    p.muli(1 - learningRate * weightDecay);
                }
                m.muli(beta1).addi(g.mul(1 - beta1));
                v.muli(beta2).addi(g.square().muli(1 - beta2));
                NDArray denominator = v.div(correction2);
                denominator.attach(tmp);
                denominator = denominator.sqrt().addi(epsilon);
                NDArray update = m.mul(learningRate / correction1);
                update.attach(tmp);
                p.subi(update.divi(denominator));
            }
        }
    }

    /** @return updates applied so far */
    public long steps() {
        return steps;
    }

    /**
     * Restores the step count (with the moments, from a checkpoint).
     *
     * @param steps updates applied
     */
    public void setSteps(long steps) {
        this.steps = steps;
    }

    /** @return first moments by parameter name (live arrays) */
    public Map<String, NDArray> firstMoments() {
        return first;
    }

    /** @return second moments by parameter name (live arrays) */
    public Map<String, NDArray> secondMoments() {
        return second;
    }
}
