package io.github.dgpo.train.score;

import ai.djl.ndarray.NDManager;
import io.github.dgpo.core.NoGradient;
import io.github.dgpo.core.logprobs.SequenceLogprobs;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.data.batch.PackedBatch;

/** A frozen reference model scored on every batch, without gradient. */
public final class LiveReference implements Reference {

    private final CausalLm model;
    private final SequenceLogprobs logprobs;
    private final boolean owned;

    /**
     * Wraps a frozen model.
     *
     * @param model the reference (its forward records no graph)
     * @param logprobs the head computation
     * @param owned whether {@link #close()} frees the model
     */
    public LiveReference(CausalLm model, SequenceLogprobs logprobs, boolean owned) {
        this.model = model;
        this.logprobs = logprobs;
        this.owned = owned;
    }

    /** @return the reference model */
    public CausalLm model() {
        return model;
    }

    @Override
    public float[] sums(PackedBatch batch, int[] keys, NDManager manager) {
        try (NoGradient off = NoGradient.enter(); NDManager m = manager.newSubManager()) {
            return logprobs.compute(model, batch.input(), batch.targets(), m).sums();
        }
    }

    @Override
    public boolean live() {
        return true;
    }

    @Override
    public void close() {
        if (owned) {
            model.close();
        }
    }
}
