package io.github.dgpo.examples.repro;

import io.github.dgpo.data.DataFormat;
import io.github.dgpo.data.Datasets;
import io.github.dgpo.data.PreferenceExample;
import io.github.dgpo.data.ReadReport;
import io.github.dgpo.data.Source;
import io.github.dgpo.data.tokenize.PairTokenizer;
import io.github.dgpo.data.tokenize.TokenizeOptions;
import io.github.dgpo.data.tokenize.TokenizedPair;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The first pairs of an HH-RLHF file, in file order, whose prompt and both completions are short
 * under a tokenizer (so nothing is truncated and a small model can fit them on a CPU), split
 * into a training and a held-out part.
 *
 * @param train the first {@code trainPairs} short pairs
 * @param eval the next {@code evalPairs}
 */
public record HhRlhfSubset(List<PreferenceExample> train, List<PreferenceExample> eval) {

    /** Pairs tokenized per batch. */
    private static final int CHUNK = 256;

    /**
     * Selects the pairs.
     *
     * @param data the HH-RLHF file
     * @param tokenizer the tokenizer folder whose lengths count
     * @param maxPromptTokens longest prompt (with the template)
     * @param maxCompletionTokens longest completion (with its end-of-turn token)
     * @param trainPairs training pairs
     * @param evalPairs held-out pairs
     * @return the subset
     * @throws IOException if a file cannot be read
     * @throws IllegalArgumentException if the file has too few short pairs
     */
    public static HhRlhfSubset select(Path data, Path tokenizer, int maxPromptTokens, int maxCompletionTokens, int trainPairs, int evalPairs) throws IOException {
        Datasets.Pairs read = Datasets.readPairs(Datasets.Spec.of(DataFormat.HH_RLHF, data));
        Map<Source, PreferenceExample> bySource = new HashMap<>();
        read.examples().forEach(e -> bySource.put(e.source(), e));
        List<PreferenceExample> kept = new ArrayList<>();
        int wanted = trainPairs + evalPairs;
        try (PairTokenizer t = PairTokenizer.fromFolder(tokenizer, TokenizeOptions.DEFAULT)) {
            // in file order, a chunk at a time until enough are kept; pairs the template refuses are left out
            for (int start = 0; start < read.examples().size() && kept.size() < wanted; start += CHUNK) {
                List<PreferenceExample> chunk = read.examples().subList(start, Math.min(read.examples().size(), start + CHUNK));
                for (TokenizedPair p : t.tokenizeAll(chunk, new ReadReport(false))) {
                    if (kept.size() < wanted && p.prompt().length <= maxPromptTokens && p.chosen().length <= maxCompletionTokens
                            && p.rejected().length <= maxCompletionTokens) {
                        kept.add(bySource.get(p.source()));
                    }
                }
            }
        }
        if (kept.size() < wanted) {
            throw new IllegalArgumentException(data + ": only " + kept.size() + " pairs have a prompt of at most " + maxPromptTokens + " and completions of at most "
                    + maxCompletionTokens + " tokens; " + wanted + " were asked for");
        }
        return new HhRlhfSubset(List.copyOf(kept.subList(0, trainPairs)), List.copyOf(kept.subList(trainPairs, wanted)));
    }
}
