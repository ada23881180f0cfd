package io.github.dgpo.examples.repro;

import io.github.dgpo.data.Message;
import io.github.dgpo.data.PreferenceExample;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * The DGPO paper's §2.3 control: each pair's rejected completion replaced by the rejected
 * completion of another pair (a seeded cyclic permutation, which leaves no pair with its own), so
 * that chosen and rejected are unrelated texts; prompts and chosen completions are kept.
 */
public final class LowSimilarity {

    private LowSimilarity() {}

    /**
     * Makes the control set.
     *
     * @param pairs the pairs (at least two)
     * @param seed the permutation's seed
     * @return the pairs with other pairs' rejected completions, in the same order
     */
    public static List<PreferenceExample> of(List<PreferenceExample> pairs, long seed) {
        int n = pairs.size();
        if (n < 2) {
            throw new IllegalArgumentException("the low-similarity control needs at least two pairs, got " + n);
        }
        int[] from = cycle(n, new Random(seed));
        List<PreferenceExample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            PreferenceExample p = pairs.get(i);
            Message other = pairs.get(from[i]).rejected();
            // the same prompt can occur twice: never make a pair whose rejected equals its chosen
            for (int k = 1; other.equals(p.chosen()) && k < n; k++) {
                other = pairs.get((from[i] + k) % n).rejected();
            }
            if (other.equals(p.chosen())) {
                throw new IllegalArgumentException("pair " + p.source() + ": every other rejected completion equals its chosen one");
            }
            out.add(new PreferenceExample(p.prompt(), p.chosen(), other, p.tools(), p.scoreChosen(), p.scoreRejected(), p.source()));
        }
        return out;
    }

    /** Sattolo's algorithm: a uniformly random cyclic permutation, so no index maps to itself. */
    static int[] cycle(int n, Random r) {
        int[] p = IntStream.range(0, n).toArray();
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
