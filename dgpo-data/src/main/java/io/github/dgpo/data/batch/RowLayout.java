package io.github.dgpo.data.batch;

import io.github.dgpo.core.logprobs.CompletionTargets;
import io.github.dgpo.core.model.ModelInput;
import io.github.dgpo.data.tokenize.TokenizedExample;
import io.github.dgpo.data.tokenize.TokenizedPair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Lays prompts with their completions out as right-padded model rows.
 *
 * <ul>
 *   <li>{@link #separate}: one row {@code [prompt | completion]} per completion, so a pair's
 *       prompt runs through the model twice;
 *   <li>{@link #sharedPrompt}: one row {@code [prompt | completion 1 | completion 2 | ...]} per
 *       prompt; each completion is its own {@link ModelInput} branch that sees the prompt and
 *       itself only, with positions continuing from the end of the prompt, so every token sees
 *       exactly what it sees in the separate layout while the prompt runs once.
 * </ul>
 *
 * Both number sequences the same way: completion {@code c} of group {@code g} is sequence {@code
 * c·G + g}.
 */
public final class RowLayout {

    private final long padId;
    private final boolean share;
    private final float tailWeight;

    private RowLayout(long padId, boolean share, float tailWeight) {
        this.padId = padId;
        this.share = share;
        this.tailWeight = tailWeight;
    }

    /**
     * One row per completion.
     *
     * @param padId the pad id
     * @return the layout
     */
    public static RowLayout separate(long padId) {
        return new RowLayout(padId, false, 1f);
    }

    /**
     * One row per prompt, its completions as branches.
     *
     * @param padId the pad id
     * @return the layout
     */
    public static RowLayout sharedPrompt(long padId) {
        return new RowLayout(padId, true, 1f);
    }

    /**
     * The layout a flag selects.
     *
     * @param padId the pad id
     * @param sharePrompts whether prompts are shared
     * @return the layout
     */
    public static RowLayout of(long padId, boolean sharePrompts) {
        return new RowLayout(padId, sharePrompts, 1f);
    }

    /**
     * This layout with LD-DPO's length desensitisation (Liu et al. 2024, TRL's {@code
     * ld_alpha}): in a pair's sums, the tokens of the longer completion past the shorter one's
     * length weigh {@code alpha}, the shared length 1. Applies to {@link #pairs} only.
     *
     * @param alpha the weight of the tail tokens, in {@code [0, 1]}
     * @return the layout
     */
    public RowLayout withTailWeight(double alpha) {
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("ld_alpha must be in [0, 1], got " + alpha);
        }
        return new RowLayout(padId, share, (float) alpha);
    }

    /** @return whether prompts are shared */
    public boolean sharesPrompts() {
        return share;
    }

    /** @return the weight of tokens past the shorter completion's length in pair sums (1: none) */
    public float tailWeight() {
        return tailWeight;
    }

    /**
     * The sequence groups of {@code B} pairs as {@link #pairs} numbers them: {@code {p, B + p}},
     * chosen then rejected.
     *
     * @param b pairs {@code B}
     * @return one group per pair
     */
    public static int[][] pairGroups(int b) {
        int[][] groups = new int[b][];
        for (int p = 0; p < b; p++) {
            groups[p] = new int[] {p, b + p};
        }
        return groups;
    }

    /**
     * Lays out pairs: sequences {@code 0..B-1} are the chosen completions, {@code B..2B-1} the
     * rejected ones.
     *
     * @param pairs the pairs
     * @return the batch
     */
    public PackedBatch pairs(List<TokenizedPair> pairs) {
        List<long[]> prompts = new ArrayList<>();
        List<long[][]> completions = new ArrayList<>();
        for (TokenizedPair p : pairs) {
            prompts.add(p.prompt());
            completions.add(new long[][] {p.chosen(), p.rejected()});
        }
        PackedBatch batch = pack(prompts, completions);
        if (tailWeight == 1f) {
            return batch;
        }
        CompletionTargets t = batch.targets();
        int b = pairs.size();
        float[] weights = new float[t.size()];
        for (int k = 0; k < weights.length; k++) {
            int pair = t.sequences()[k] % b;
            int shared = Math.min(pairs.get(pair).chosen().length, pairs.get(pair).rejected().length);
            weights[k] = t.ordinals()[k] < shared ? 1f : tailWeight;
        }
        return new PackedBatch(batch.input(), t.withWeights(weights), batch.groups(), batch.logicalTokens());
    }

    /**
     * Lays out unpaired examples, sequence {@code i} for example {@code i}.
     *
     * @param examples the examples
     * @return the batch
     */
    public PackedBatch examples(List<TokenizedExample> examples) {
        List<long[]> prompts = new ArrayList<>();
        List<long[][]> completions = new ArrayList<>();
        for (TokenizedExample e : examples) {
            prompts.add(e.prompt());
            completions.add(new long[][] {e.completion()});
        }
        return pack(prompts, completions);
    }

    /**
     * Lays out prompts that each have the same number {@code K} of completions.
     *
     * @param prompts the {@code G} prompts (each at least one token: something must predict the
     *     first completion token)
     * @param completions {@code K} completions per prompt
     * @return the batch, sequence {@code c·G + g} for completion {@code c} of prompt {@code g}
     */
    public PackedBatch pack(List<long[]> prompts, List<long[][]> completions) {
        int groups = prompts.size();
        int k = groups == 0 ? 0 : completions.get(0).length;
        long logical = 0;
        for (int g = 0; g < groups; g++) {
            if (completions.get(g).length != k) {
                throw new IllegalArgumentException("every prompt needs " + k + " completions; prompt " + g + " has " + completions.get(g).length);
            }
            if (prompts.get(g).length == 0) {
                throw new IllegalArgumentException("prompt " + g + " is empty: nothing predicts its completion's first token");
            }
            for (long[] c : completions.get(g)) {
                logical += prompts.get(g).length + c.length;
            }
        }
        return share ? packShared(prompts, completions, groups, k, logical) : packSeparate(prompts, completions, groups, k, logical);
    }

    private PackedBatch packSeparate(List<long[]> prompts, List<long[][]> completions, int groups, int k, long logical) {
        int rows = groups * k;
        int width = 0;
        for (int g = 0; g < groups; g++) {
            for (long[] c : completions.get(g)) {
                width = Math.max(width, prompts.get(g).length + c.length);
            }
        }
        long[][] ids = new long[rows][width];
        int[][] positions = new int[rows][width];
        int[][] branches = new int[rows][width];
        int[] lengths = new int[rows];
        CompletionTargets.Builder targets = new CompletionTargets.Builder(rows);
        for (int c = 0; c < k; c++) {
            for (int g = 0; g < groups; g++) {
                int r = c * groups + g;
                long[] prompt = prompts.get(g);
                long[] completion = completions.get(g)[c];
                Arrays.fill(ids[r], padId);
                System.arraycopy(prompt, 0, ids[r], 0, prompt.length);
                System.arraycopy(completion, 0, ids[r], prompt.length, completion.length);
                Arrays.setAll(positions[r], i -> i);
                lengths[r] = prompt.length + completion.length;
                for (int i = 0; i < completion.length; i++) {
                    targets.add(r, (long) r * width + prompt.length + i - 1, completion[i]);
                }
            }
        }
        return new PackedBatch(new ModelInput(ids, positions, branches, lengths), targets.build(), groups, logical);
    }

    private PackedBatch packShared(List<long[]> prompts, List<long[][]> completions, int groups, int k, long logical) {
        int width = 0;
        for (int g = 0; g < groups; g++) {
            int w = prompts.get(g).length;
            for (long[] c : completions.get(g)) {
                w += c.length;
            }
            width = Math.max(width, w);
        }
        long[][] ids = new long[groups][width];
        int[][] positions = new int[groups][width];
        int[][] branches = new int[groups][width];
        int[] lengths = new int[groups];
        long[][][] placed = new long[k][groups][];
        int[][] offsets = new int[k][groups];
        for (int g = 0; g < groups; g++) {
            long[] prompt = prompts.get(g);
            Arrays.fill(ids[g], padId);
            System.arraycopy(prompt, 0, ids[g], 0, prompt.length);
            for (int i = 0; i < prompt.length; i++) {
                positions[g][i] = i;
            }
            int at = prompt.length;
            for (int c = 0; c < k; c++) {
                long[] completion = completions.get(g)[c];
                System.arraycopy(completion, 0, ids[g], at, completion.length);
                for (int i = 0; i < completion.length; i++) {
                    positions[g][at + i] = prompt.length + i;
                    branches[g][at + i] = c + 1;
                }
                placed[c][g] = completion;
                offsets[c][g] = at;
                at += completion.length;
            }
            lengths[g] = at;
        }
        CompletionTargets.Builder targets = new CompletionTargets.Builder(groups * k);
        for (int c = 0; c < k; c++) {
            for (int g = 0; g < groups; g++) {
                long[] completion = placed[c][g];
                int start = offsets[c][g];
                int lastPrompt = prompts.get(g).length - 1;
                for (int i = 0; i < completion.length; i++) {
                    int predicting = i == 0 ? lastPrompt : start + i - 1;
                    targets.add(c * groups + g, (long) g * width + predicting, completion[i]);
                }
            }
        }
        return new PackedBatch(new ModelInput(ids, positions, branches, lengths), targets.build(), groups, logical);
    }
}
