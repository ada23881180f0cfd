package io.github.dgpo.data;

import io.github.dgpo.data.tokenize.PairTokenizer;
import io.github.dgpo.data.tokenize.TokenizeOptions;
import io.github.dgpo.data.tokenize.TokenizedExample;
import io.github.dgpo.data.tokenize.TokenizedPair;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * What a dataset holds and what dgpo does with it: rows read, kept, dropped per reason,
 * truncated, and with a tokenizer the token counts of prompts and completions and the pairs'
 * similarity ({@link PairSimilarity}, completion tokens without the end-of-turn token).
 */
public final class DataInspector {

    /**
     * The inspection's result.
     *
     * @param report read/kept/dropped/truncated
     * @param prompt prompt token counts, or null without a tokenizer
     * @param chosen chosen (KTO: desirable) completion token counts, or null
     * @param rejected rejected (KTO: undesirable) completion token counts, or null
     * @param jaccardMean mean Jaccard similarity, or NaN
     * @param commonPrefixMean mean common-prefix fraction, or NaN
     */
    public record Inspection(ReadReport report, LengthStats prompt, LengthStats chosen, LengthStats rejected, double jaccardMean, double commonPrefixMean) {}

    private DataInspector() {}

    /**
     * Inspects a dataset.
     *
     * @param spec what to read
     * @param tokenizerDir tokenizer folder, or null
     * @param options length limits
     * @return the inspection
     * @throws IOException if the tokenizer cannot be read
     */
    public static Inspection inspect(Datasets.Spec spec, Path tokenizerDir, TokenizeOptions options) throws IOException {
        if (spec.format() == DataFormat.KTO) {
            Datasets.Unpaired u = Datasets.readUnpaired(spec);
            if (tokenizerDir == null) {
                return new Inspection(u.report(), null, null, null, Double.NaN, Double.NaN);
            }
            try (PairTokenizer t = PairTokenizer.fromFolder(tokenizerDir, options)) {
                List<TokenizedExample> ex = t.tokenizeAllUnpaired(u.examples(), u.report());
                return new Inspection(u.report(),
                        LengthStats.of(ex.stream().mapToLong(e -> e.prompt().length).toArray()),
                        LengthStats.of(ex.stream().filter(TokenizedExample::desirable).mapToLong(e -> e.completion().length).toArray()),
                        LengthStats.of(ex.stream().filter(e -> !e.desirable()).mapToLong(e -> e.completion().length).toArray()),
                        Double.NaN, Double.NaN);
            }
        }
        Datasets.Pairs pairs = Datasets.readPairs(spec);
        if (tokenizerDir == null) {
            return new Inspection(pairs.report(), null, null, null, Double.NaN, Double.NaN);
        }
        try (PairTokenizer t = PairTokenizer.fromFolder(tokenizerDir, options)) {
            List<TokenizedPair> tokenized = t.tokenizeAll(pairs.examples(), pairs.report());
            double jaccard = 0;
            double prefix = 0;
            for (TokenizedPair p : tokenized) {
                long[] c = content(p.chosen(), t.endOfTurnId());
                long[] r = content(p.rejected(), t.endOfTurnId());
                jaccard += PairSimilarity.jaccard(c, r);
                prefix += PairSimilarity.commonPrefixFraction(c, r);
            }
            int n = Math.max(1, tokenized.size());
            return new Inspection(pairs.report(),
                    LengthStats.of(tokenized.stream().mapToLong(p -> p.prompt().length).toArray()),
                    LengthStats.of(tokenized.stream().mapToLong(p -> p.chosen().length).toArray()),
                    LengthStats.of(tokenized.stream().mapToLong(p -> p.rejected().length).toArray()),
                    tokenized.isEmpty() ? Double.NaN : jaccard / n, tokenized.isEmpty() ? Double.NaN : prefix / n);
        }
    }

    private static long[] content(long[] completion, long endOfTurn) {
        int n = completion.length;
        return n > 0 && completion[n - 1] == endOfTurn ? Arrays.copyOf(completion, n - 1) : completion;
    }
}
