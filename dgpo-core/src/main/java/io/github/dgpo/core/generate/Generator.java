package io.github.dgpo.core.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.model.KvCache;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Autoregressive decoding with a KV cache: the prompt runs once, then each new token runs
 * alone against the cached keys and values. Run it outside a gradient collector (or on a
 * frozen model) so no graph is recorded. Each step's temporaries are freed with the step and
 * the cache keeps one copy of its arrays (see {@link KvCache}), so memory grows linearly with
 * the tokens. The sequence never grows past the model's {@code max_position_embeddings}:
 * generation stops there and says so in {@link Result#stop()}.
 */
public final class Generator {

    /** Why a generation ended. */
    public enum Stop {
        /** {@code maxNewTokens} were generated. */
        MAX_NEW_TOKENS,
        /** An end-of-sequence id was generated (and kept). */
        EOS,
        /** The sequence reached the model's {@code max_position_embeddings}. */
        MAX_POSITIONS
    }

    /**
     * What a generation produced.
     *
     * @param ids prompt plus new tokens
     * @param newIds the new tokens
     * @param stop why it ended
     * @param stepLogits each step's logits row, when asked for
     */
    public record Result(long[] ids, long[] newIds, Stop stop, List<float[]> stepLogits) {
        /** @return whether an end-of-sequence id ended the generation */
        public boolean stoppedAtEos() {
            return stop == Stop.EOS;
        }
    }

    private final CausalLm model;

    /**
     * Creates a generator.
     *
     * @param model the model
     */
    public Generator(CausalLm model) {
        this.model = model;
    }

    /**
     * Generates a continuation of one prompt.
     *
     * @param prompt prompt token ids (at least one)
     * @param options decoding settings
     * @param keepLogits whether to return each step's logits row (for tests and diagnostics)
     * @return prompt plus new tokens
     * @throws IllegalArgumentException for an empty prompt or one longer than {@code max_position_embeddings}
     */
    public Result generate(long[] prompt, GenerationOptions options, boolean keepLogits) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt must have at least one token (e.g. BOS)");
        }
        int maxPositions = model.config().maxPositionEmbeddings();
        if (maxPositions > 0 && prompt.length > maxPositions) {
            throw new IllegalArgumentException("the prompt has " + prompt.length + " tokens, more than the model's max_position_embeddings (" + maxPositions + "); shorten it");
        }
        TokenSampler sampler = new TokenSampler(options);
        List<Long> out = new ArrayList<>();
        List<float[]> logitsPerStep = new ArrayList<>();
        Stop stop = Stop.MAX_NEW_TOKENS;
        try (NDManager m = model.parameters().values().iterator().next().getManager().newSubManager()) {
            KvCache cache = new KvCache(model.config().layers());
            long[] step = prompt;
            for (int i = 0; i < options.maxNewTokens(); i++) {
                if (maxPositions > 0 && prompt.length + i >= maxPositions) {
                    stop = Stop.MAX_POSITIONS;
                    break;
                }
                float[] logits;
                try (NDManager s = m.newSubManager()) {
                    long[][] ones = new long[1][step.length];
                    Arrays.fill(ones[0], 1);
                    NDArray hidden = model.hiddenStates(new long[][] {step}, ones, cache, s);
                    NDArray last = hidden.get(":, -1, :");
                    logits = model.logits(last).toFloatArray();
                    cache.detachTo(m);
                }
                if (keepLogits) {
                    logitsPerStep.add(logits);
                }
                int next = sampler.next(logits);
                out.add((long) next);
                if (options.eosIds().contains(next)) {
                    stop = Stop.EOS;
                    break;
                }
                step = new long[] {next};
            }
        }
        long[] fresh = out.stream().mapToLong(Long::longValue).toArray();
        long[] all = Arrays.copyOf(prompt, prompt.length + fresh.length);
        System.arraycopy(fresh, 0, all, prompt.length, fresh.length);
        return new Result(all, fresh, stop, logitsPerStep);
    }
}
