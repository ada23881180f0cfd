package io.github.dgpo.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Arithmetic with a constant that is safe inside an autograd graph.
 *
 * <p>DJL's {@code NDArray.mul(Number)} (likewise {@code div}, {@code pow}, {@code minimum},
 * {@code maximum} with a {@code Number}) wraps the constant in a tensor over a Java direct
 * buffer, runs the op and closes that tensor at once. PyTorch's autograd keeps the constant for
 * the backward pass ({@code MulBackward} saves the other operand), so after the buffer is
 * garbage-collected the backward reads freed memory: gradients through such an op come out
 * wrong, intermittently (measured: q/k gradients of an attention's {@code scores·1/√d} became
 * exactly 0 in some runs). {@code add}/{@code sub} with a number are safe (their backward saves
 * nothing). These helpers create the constant in the operand's manager and leave it open, so it
 * lives until that manager closes, after the backward pass.
 */
public final class Scalars {

    private Scalars() {}

    /**
     * A scalar in the dtype and manager of {@code like}, alive until that manager closes.
     *
     * @param like an array giving dtype and manager
     * @param value the constant
     * @return a 0-d array
     */
    public static NDArray constant(NDArray like, double value) {
        NDArray c = like.getManager().create(value);
        return like.getDataType() == DataType.FLOAT64 ? c : c.toType(like.getDataType(), false);
    }

    /**
     * {@code x · c}.
     *
     * @param x the array
     * @param c the constant
     * @return the product, graph-safe
     */
    public static NDArray times(NDArray x, double c) {
        return x.mul(constant(x, c));
    }

    /**
     * {@code x / c}.
     *
     * @param x the array
     * @param c the constant
     * @return the quotient, graph-safe
     */
    public static NDArray over(NDArray x, double c) {
        return x.div(constant(x, c));
    }

    /**
     * {@code min(x, c)} element-wise.
     *
     * @param x the array
     * @param c the constant
     * @return the clamped array, graph-safe
     */
    public static NDArray atMost(NDArray x, double c) {
        return x.minimum(constant(x, c));
    }
}
