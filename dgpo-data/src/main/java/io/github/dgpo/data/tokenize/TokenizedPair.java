package io.github.dgpo.data.tokenize;

import io.github.dgpo.data.Source;

/**
 * A pair as token ids: the prompt (chat template with the generation prompt, BOS where the
 * tokenizer uses one) and each completion (content then the end-of-turn token).
 *
 * @param prompt prompt ids
 * @param chosen chosen completion ids
 * @param rejected rejected completion ids
 * @param truncated whether any part was cut to fit the limits
 * @param source where the pair came from
 */
public record TokenizedPair(long[] prompt, long[] chosen, long[] rejected, boolean truncated, Source source) {

    /** @return the longer of the two rows (prompt + completion) */
    public int maxRowLength() {
        return prompt.length + Math.max(chosen.length, rejected.length);
    }
}
