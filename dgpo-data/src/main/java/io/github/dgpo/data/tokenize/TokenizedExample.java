package io.github.dgpo.data.tokenize;

import io.github.dgpo.data.Source;

/**
 * An unpaired (KTO) example as token ids.
 *
 * @param prompt prompt ids
 * @param completion completion ids (content then end-of-turn)
 * @param desirable the label
 * @param truncated whether any part was cut
 * @param source where it came from
 */
public record TokenizedExample(long[] prompt, long[] completion, boolean desirable, boolean truncated, Source source) {}
