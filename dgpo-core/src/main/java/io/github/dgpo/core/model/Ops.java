package io.github.dgpo.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;

/** Tensor ops DJL lacks or spells awkwardly; all keep the autograd graph. */
final class Ops {

    private Ops() {}

    /** {@code x W^T + b} with {@code W} in HF's {@code [out, in]} layout ({@code torch::linear}). */
    static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();
    }

    /** {@code x·σ(x)}. */
    static NDArray silu(NDArray x) {
        return x.mul(Activation.sigmoid(x));
    }

    /** {@code concat(-x2, x1)} over the last axis, where {@code x = concat(x1, x2)}. */
    static NDArray rotateHalf(NDArray x) {
        int last = x.getShape().dimension() - 1;
        long half = x.getShape().get(last) / 2;
        NDList parts = x.split(new long[] {half}, last);
        return parts.get(1).neg().concat(parts.get(0), last);
    }
}
