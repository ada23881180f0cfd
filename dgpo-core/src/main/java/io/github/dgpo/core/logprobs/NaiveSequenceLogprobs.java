package io.github.dgpo.core.logprobs;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.github.dgpo.core.model.CausalLm;

/**
 * The textbook computation the fused path is checked and benchmarked against: logits at every
 * position {@code [N, T, V]}, a full {@code logSoftmax}, a gather of the next token, and a
 * masked sum. Attached to the autograd graph.
 */
public final class NaiveSequenceLogprobs {

    private NaiveSequenceLogprobs() {}

    /**
     * Computes per-sequence sums of completion-token log-probabilities.
     *
     * @param model the model
     * @param ids {@code [N, T]}
     * @param attentionMask {@code [N, T]}
     * @param completionMask {@code [N, T]}
     * @return sums {@code [N]} attached to the graph
     */
    public static NDArray sums(CausalLm model, NDArray ids, NDArray attentionMask, NDArray completionMask) {
        long t = ids.getShape().get(1);
        NDArray logps = model.logits(model.hiddenStates(ids, attentionMask)).logSoftmax(2);
        NDArray predicting = logps.get(":, 0:" + (t - 1) + ", :");
        NDArray labels = ids.get(":, 1:").toType(DataType.INT64, false).expandDims(2);
        NDArray picked = predicting.gather(labels, 2).squeeze(2);
        NDArray mask = completionMask.get(":, 1:").toType(DataType.FLOAT32, false);
        return picked.mul(mask).sum(new int[] {1});
    }
}
