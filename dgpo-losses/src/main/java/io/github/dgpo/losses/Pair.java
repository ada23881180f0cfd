package io.github.dgpo.losses;

import ai.djl.ndarray.NDArray;

/**
 * The values a loss formula reads, for one batch, under the loss's reduction.
 *
 * @param a policy chosen value ({@code S_w} or {@code A_w})
 * @param b policy rejected value
 * @param aRef reference chosen value (zeros without a reference)
 * @param bRef reference rejected value (zeros without a reference)
 * @param avgChosen {@code A_w = S_w / n_w}, whatever the reduction (for NLL terms)
 * @param avgRejected {@code A_l}
 * @param chosenTokens {@code n_w}, in the dtype of the sums
 * @param rejectedTokens {@code n_l}
 * @param input the original input (KTO reads its mismatched sums)
 */
public record Pair(
        NDArray a,
        NDArray b,
        NDArray aRef,
        NDArray bRef,
        NDArray avgChosen,
        NDArray avgRejected,
        NDArray chosenTokens,
        NDArray rejectedTokens,
        PairLogps input) {

    static Pair of(PairLogps in, Reduction reduction, boolean useReference) {
        NDArray sw = in.chosenSum();
        NDArray sl = in.rejectedSum();
        NDArray nw = in.chosenTokens().toType(sw.getDataType(), false);
        NDArray nl = in.rejectedTokens().toType(sw.getDataType(), false);
        NDArray aw = sw.div(nw);
        NDArray al = sl.div(nl);
        NDArray rw = useReference ? in.refChosenSum() : sw.zerosLike();
        NDArray rl = useReference ? in.refRejectedSum() : sl.zerosLike();
        if (reduction == Reduction.AVERAGE) {
            return new Pair(aw, al, rw.div(nw), rl.div(nl), aw, al, nw, nl, in);
        }
        return new Pair(sw, sl, rw, rl, aw, al, nw, nl, in);
    }

    /**
     * The same values cut from the autograd graph, for closed forms and metrics.
     *
     * @return the detached view
     */
    Pair detached() {
        return new Pair(
                a.stopGradient(),
                b.stopGradient(),
                aRef.stopGradient(),
                bRef.stopGradient(),
                avgChosen.stopGradient(),
                avgRejected.stopGradient(),
                chosenTokens,
                rejectedTokens,
                input);
    }
}
