package io.github.dgpo.losses;

import ai.djl.ndarray.NDArray;

/**
 * Supervised fine-tuning on the chosen completions: {@code L = -A_w} (negative per-token
 * log-likelihood of the chosen response, averaged per pair), so that a base or randomly
 * initialised model can first reach the SFT starting point preference losses assume. Written
 * in the same margin form with a zero margin term ({@code d_l = 0}, {@code d_w = 1/n_w});
 * the reported margin is {@code A_w - A_l}. Not one of the nine preference losses; configs
 * select it with {@code loss_type: sft}, alone or as a term of a mixture.
 */
public final class SftLoss extends MarginLoss {

    /** Creates the SFT objective. */
    public SftLoss() {
        this(new Hyperparameters(java.util.Map.of()));
    }

    /**
     * Creates the SFT objective from a factory's hyperparameters (it takes none).
     *
     * @param hp the hyperparameters (none are read)
     */
    public SftLoss(Hyperparameters hp) {
        super("sft", Reduction.AVERAGE, hp);
    }

    @Override
    public boolean requiresReference() {
        return false;
    }

    @Override
    protected NDArray margin(Pair p) {
        return p.a().sub(p.b());
    }

    @Override
    protected NDArray marginTerm(NDArray z, Pair p) {
        return z.zerosLike();
    }

    @Override
    protected NDArray marginDw(NDArray z, Pair p) {
        return z.zerosLike();
    }

    @Override
    protected NDArray marginDl(NDArray z, Pair p) {
        return z.zerosLike();
    }

    @Override
    protected double nllWeight() {
        return 1;
    }
}
