package io.github.dgpo.data.batch;

import io.github.dgpo.data.tokenize.TokenizedExample;
import io.github.dgpo.data.tokenize.TokenizedPair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Stacks tokenized pairs as {@code [chosen; rejected]} rows, right-padded with the pad id. */
public final class Collator {

    private final long padId;

    /**
     * Creates a collator.
     *
     * @param padId the pad id (the tokenizer's pad token, or EOS when it has none)
     */
    public Collator(long padId) {
        this.padId = padId;
    }

    /**
     * Collates pairs.
     *
     * @param pairs the pairs
     * @return {@code 2B} rows
     */
    public PaddedBatch pairs(List<TokenizedPair> pairs) {
        List<long[][]> rows = new ArrayList<>();
        for (TokenizedPair p : pairs) {
            rows.add(new long[][] {p.prompt(), p.chosen()});
        }
        for (TokenizedPair p : pairs) {
            rows.add(new long[][] {p.prompt(), p.rejected()});
        }
        return pad(rows, pairs.size());
    }

    /**
     * Collates unpaired examples.
     *
     * @param examples the examples
     * @return one row each
     */
    public PaddedBatch unpaired(List<TokenizedExample> examples) {
        List<long[][]> rows = new ArrayList<>();
        for (TokenizedExample e : examples) {
            rows.add(new long[][] {e.prompt(), e.completion()});
        }
        return pad(rows, 0);
    }

    private PaddedBatch pad(List<long[][]> rows, int pairs) {
        int width = 0;
        for (long[][] r : rows) {
            width = Math.max(width, r[0].length + r[1].length);
        }
        int n = rows.size();
        long[][] ids = new long[n][width];
        long[][] attention = new long[n][width];
        long[][] completion = new long[n][width];
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            long[] prompt = rows.get(i)[0];
            long[] c = rows.get(i)[1];
            Arrays.fill(ids[i], padId);
            System.arraycopy(prompt, 0, ids[i], 0, prompt.length);
            System.arraycopy(c, 0, ids[i], prompt.length, c.length);
            lengths[i] = prompt.length + c.length;
            Arrays.fill(attention[i], 0, lengths[i], 1);
            Arrays.fill(completion[i], prompt.length, lengths[i], 1);
        }
        return new PaddedBatch(ids, attention, completion, lengths, pairs);
    }
}
