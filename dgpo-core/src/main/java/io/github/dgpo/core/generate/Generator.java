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
 * frozen model) so no graph is recorded.
 */
public final class Generator {

    /** What a generation produced. */
    public record Result(long[] ids, long[] newIds, boolean stoppedAtEos, List<float[]> stepLogits) {}

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
     */
    public Result generate(long[] prompt, GenerationOptions options, boolean keepLogits) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt must have at least one token (e.g. BOS)");
        }
        TokenSampler sampler = new TokenSampler(options);
        List<Long> out = new ArrayList<>();
        List<float[]> logitsPerStep = new ArrayList<>();
        boolean eos = false;
        try (NDManager m = model.parameters().values().iterator().next().getManager().newSubManager()) {
            KvCache cache = new KvCache(model.config().layers());
            long[] step = prompt;
            for (int i = 0; i < options.maxNewTokens(); i++) {
                float[] logits;
                try (NDManager s = m.newSubManager()) {
                    NDArray ids = s.create(new long[][] {step});
                    long[][] ones = new long[1][step.length];
                    Arrays.fill(ones[0], 1);
                    NDArray hidden = model.hiddenStates(ids, s.create(ones), cache);
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
                    eos = true;
                    break;
                }
                step = new long[] {next};
            }
        }
        long[] fresh = out.stream().mapToLong(Long::longValue).toArray();
        long[] all = Arrays.copyOf(prompt, prompt.length + fresh.length);
        System.arraycopy(fresh, 0, all, prompt.length, fresh.length);
        return new Result(all, fresh, eos, logitsPerStep);
    }
}
