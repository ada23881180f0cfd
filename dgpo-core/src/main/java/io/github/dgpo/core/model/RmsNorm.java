package io.github.dgpo.core.model;

import ai.djl.ndarray.NDArray;

/** RMSNorm over the last axis: {@code w · x / sqrt(mean(x²) + eps)}. */
final class RmsNorm {

    private final NDArray weight;
    private final double eps;

    RmsNorm(NDArray weight, double eps) {
        this.weight = weight;
        this.eps = eps;
    }

    NDArray forward(NDArray x) {
        NDArray variance = x.square().mean(new int[] {x.getShape().dimension() - 1}, true);
        return x.div(variance.add(eps).sqrt()).mul(weight);
    }
}
