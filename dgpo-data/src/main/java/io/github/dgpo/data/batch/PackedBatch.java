package io.github.dgpo.data.batch;

import io.github.dgpo.core.logprobs.CompletionTargets;
import io.github.dgpo.core.model.ModelInput;

/**
 * Sequences laid out as model rows by a {@link RowLayout}: the rows, where each sequence's
 * completion tokens are, and token counts.
 *
 * @param input the rows
 * @param targets the completion tokens; sequence {@code c·G + g} is completion {@code c} of
 *     group {@code g} (for pairs: {@code 0..B-1} chosen, {@code B..2B-1} rejected)
 * @param groups {@code G}: prompts in the batch
 * @param logicalTokens real tokens the sequences hold as separate rows (prompt + completion for
 *     each sequence): the same for every layout, so throughput figures compare
 */
public record PackedBatch(ModelInput input, CompletionTargets targets, int groups, long logicalTokens) {

    /** @return the batch's token counts: logical, in the rows, padded positions, completion tokens */
    public TokenCounts tokenCounts() {
        return new TokenCounts(logicalTokens, input.tokens(), (long) input.rows() * input.width(), targets.size());
    }
}
