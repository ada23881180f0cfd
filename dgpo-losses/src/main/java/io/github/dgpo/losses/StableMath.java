package io.github.dgpo.losses;

import static io.github.dgpo.core.Scalars.times;
import static io.github.dgpo.core.Scalars.over;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/**
 * Numerically stable element-wise functions the losses are written with. DJL has no {@code
 * log1p}, {@code expm1} or {@code logaddexp}; these are built from ops whose PyTorch kernels
 * are stable ({@code softplus}, {@code tanh}) so that values and autograd gradients stay
 * finite across the whole domain.
 */
public final class StableMath {

    private StableMath() {}

    /**
     * {@code log σ(x) = -softplus(-x)}, never {@code log(sigmoid(x))}.
     *
     * @param x input
     * @return {@code log σ(x)}
     */
    public static NDArray logSigmoid(NDArray x) {
        return Activation.softPlus(x.neg()).neg();
    }

    /**
     * The label-smoothed logistic loss {@code -(1-ε) log σ(z) - ε log σ(-z)} (conservative DPO,
     * AOT).
     *
     * @param z margin
     * @param epsilon label smoothing ε
     * @return the loss
     */
    public static NDArray smoothedLogistic(NDArray z, double epsilon) {
        NDArray loss = times(logSigmoid(z), -(1 - epsilon));
        return epsilon == 0 ? loss : loss.sub(times(logSigmoid(z.neg()), epsilon));
    }

    /**
     * Minus the derivative of {@link #smoothedLogistic}: {@code (1-ε)σ(-z) - εσ(z)}.
     *
     * @param z margin
     * @param epsilon label smoothing ε
     * @return {@code -dℓ/dz}
     */
    public static NDArray smoothedLogisticSlope(NDArray z, double epsilon) {
        NDArray slope = times(sigmoid(z.neg()), 1 - epsilon);
        return epsilon == 0 ? slope : slope.sub(times(sigmoid(z), epsilon));
    }

    /**
     * {@code σ(x)(1 - σ(x))}, computed as {@code σ(x)σ(-x)} to stay accurate in both tails.
     *
     * @param x input
     * @return the logistic function's slope at {@code x}
     */
    public static NDArray logisticSlope(NDArray x) {
        return sigmoid(x).mul(sigmoid(x.neg()));
    }

    /**
     * {@code σ(x)}.
     *
     * @param x input
     * @return {@code 1 / (1 + e^-x)}
     */
    public static NDArray sigmoid(NDArray x) {
        return Activation.sigmoid(x);
    }

    /**
     * {@code log(e^a + e^b) = max(a, b) + softplus(-|a - b|)}.
     *
     * @param a first input
     * @param b second input
     * @return {@code logaddexp(a, b)}
     */
    public static NDArray logAddExp(NDArray a, NDArray b) {
        return a.maximum(b).add(Activation.softPlus(a.sub(b).abs().neg()));
    }

    /**
     * {@code max(0, x)}; its gradient at 0 is 0, the convention the hinge losses' closed forms
     * use.
     *
     * @param x input
     * @return {@code max(0, x)}
     */
    public static NDArray hinge(NDArray x) {
        return Activation.relu(x);
    }

    /**
     * {@code 1 - e^x = -expm1(x)} for {@code x <= 0}, accurate near 0, via {@code t = tanh(x/2)}:
     * {@code -expm1(x) = -2t / (1 - t)}.
     *
     * @param x input, at most 0
     * @return {@code 1 - e^x}
     */
    public static NDArray oneMinusExp(NDArray x) {
        NDArray t = over(x, 2).tanh();
        return times(t, -2).div(t.neg().add(1));
    }

    /**
     * {@code log(1 - e^x) = log(-expm1(x))} for {@code x < 0}, accurate near 0: {@code
     * log(-2t) - log(1 - t)} with {@code t = tanh(x/2)}.
     *
     * @param x input, below 0
     * @return {@code log(1 - e^x)}
     */
    public static NDArray logOneMinusExp(NDArray x) {
        NDArray t = over(x, 2).tanh();
        return times(t, -2).log().sub(t.neg().add(1).log());
    }

    /**
     * {@code 1} where the condition holds, else {@code 0}, in the dtype of {@code like}
     * (detached: for closed forms and metrics only).
     *
     * @param condition a boolean array
     * @param like an array of the wanted dtype
     * @return the indicator
     */
    public static NDArray indicator(NDArray condition, NDArray like) {
        return condition.toType(like.getDataType(), false);
    }
}
