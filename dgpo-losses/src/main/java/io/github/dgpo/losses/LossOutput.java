package io.github.dgpo.losses;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * What a {@link PreferenceLoss} computes for a batch.
 *
 * @param perPair per-pair loss {@code [B]}, attached to the autograd graph of the inputs
 * @param loss batch loss: the mean of {@code perPair}, attached to the graph
 * @param margins the margin {@code z} per pair (detached)
 * @param dW {@code d_w = -∂L/∂S_w} per pair, with respect to the sums (detached); for a {@link
 *     PreferenceLoss#batchDependent() batch-dependent} loss {@code -B·∂L/∂S_w,i} with {@code L}
 *     the batch mean
 * @param dL {@code d_l = ∂L/∂S_l} per pair (for a batch-dependent loss {@code B·∂L/∂S_l,i})
 * @param metrics batch metrics under TRL's names (see {@link PreferenceLoss#compute})
 */
public record LossOutput(
        NDArray perPair,
        NDArray loss,
        NDArray margins,
        NDArray dW,
        NDArray dL,
        Map<String, Double> metrics) {}
