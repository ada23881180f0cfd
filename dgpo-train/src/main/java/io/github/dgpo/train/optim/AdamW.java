package io.github.dgpo.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
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
     * collector): {@code p ← p(1 - lr·wd) - lr/(1-β1^t) · m / (sqrt(v/(1-β2^t)) + ε)}, torch's
     * AdamW. One native call per parameter (DJL's Adam update, about a dozen elementwise libtorch
     * operations in one call, whose {@code ε} sits outside the second moment's bias correction:
     * giving it {@code ε·sqrt(1-β2^t)} and the rate {@code lr·sqrt(1-β2^t)/(1-β1^t)} makes it
     * torch's update exactly), so no Java-side temporaries.
     *
     * @param parameters the parameters by name
     * @param learningRate this step's learning rate
     */
    public void step(Map<String, NDArray> parameters, double learningRate) {
        steps++;
        double correction1 = 1 - Math.pow(beta1, steps);
        double root2 = Math.sqrt(1 - Math.pow(beta2, steps));
        float rate = (float) (learningRate * root2 / correction1);
        float eps = (float) (epsilon * root2);
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            NDArray p = e.getValue();
            float decay = weightDecay != 0 && !ParameterLayout.isNormOrBias(e.getKey()) ? (float) weightDecay : 0f;
            try (NDManager tmp = p.getManager().newSubManager()) {
                NDArray g = p.getGradient();
                g.attach(tmp);
                // decoupled decay p -= lr·wd·p happens in the kernel's AdamW branch (with the plain rate)
                JniUtils.adamUpdate((PtNDArray) p, (PtNDArray) g, (PtNDArray) first.get(e.getKey()), (PtNDArray) second.get(e.getKey()), (float) learningRate,
                        rate, decay, 1f, -1f, (float) beta1, (float) beta2, eps, decay != 0);
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
