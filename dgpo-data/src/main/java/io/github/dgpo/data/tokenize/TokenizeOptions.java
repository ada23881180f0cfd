package io.github.dgpo.data.tokenize;

/**
 * Length limits.
 *
 * @param maxLength prompt + completion tokens (the DGPO paper's 2048 by default)
 * @param maxPromptLength prompt tokens, 0 for no separate limit
 */
public record TokenizeOptions(int maxLength, int maxPromptLength) {

    /** The DGPO paper's setting: 2048 tokens, no separate prompt limit. */
    public static final TokenizeOptions DEFAULT = new TokenizeOptions(2048, 0);

    /** Validates the limits. */
    public TokenizeOptions {
        if (maxLength < 2) {
            throw new IllegalArgumentException("max_length must be >= 2, got " + maxLength);
        }
        if (maxPromptLength < 0 || maxPromptLength >= maxLength) {
            throw new IllegalArgumentException("max_prompt_length must be in [0, max_length), got " + maxPromptLength);
        }
    }
}
