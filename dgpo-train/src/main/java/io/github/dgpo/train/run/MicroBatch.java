package io.github.dgpo.train.run;

import io.github.dgpo.data.batch.TokenCounts;
import java.util.Map;

/**
 * One micro-batch's outcome.
 *
 * @param loss the mean loss
 * @param metrics the loss's metrics
 * @param examples pairs or examples in the micro-batch
 * @param tokens its token counts ({@link TokenCounts#logical}: real tokens counted as separate rows
 *     per completion, the same with and without shared prompts)
 * @param flops the floating-point operations the micro-batch needed (policy forward and backward,
 *     reference and other passes; see {@code FlopCount})
 */
public record MicroBatch(double loss, Map<String, Double> metrics, int examples, TokenCounts tokens, double flops) {}
