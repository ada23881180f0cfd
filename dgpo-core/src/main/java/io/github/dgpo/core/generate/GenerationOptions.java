package io.github.dgpo.core.generate;

import java.util.Set;

/**
 * Decoding settings.
 *
 * @param maxNewTokens maximum tokens to generate
 * @param temperature 0 for greedy; otherwise logits are divided by it before sampling
 * @param topK keep only the k most likely tokens (0: all)
 * @param topP keep the smallest set of most likely tokens whose probability reaches p (1: all)
 * @param seed sampling seed
 * @param eosIds any of these ends generation (it is kept in the output)
 */
public record GenerationOptions(int maxNewTokens, double temperature, int topK, double topP, long seed, Set<Integer> eosIds) {

    /** Validates the settings. */
    public GenerationOptions {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("max new tokens must be >= 0, got " + maxNewTokens);
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be >= 0, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        }
        eosIds = Set.copyOf(eosIds);
    }

    /**
     * Greedy decoding.
     *
     * @param maxNewTokens maximum tokens to generate
     * @param eosIds stop ids
     * @return the options
     */
    public static GenerationOptions greedy(int maxNewTokens, Set<Integer> eosIds) {
        return new GenerationOptions(maxNewTokens, 0, 0, 1, 0, eosIds);
    }
}
