package io.github.dgpo.core.logprobs;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.dgpo.core.NoGradient;
import io.github.dgpo.core.model.Body;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.model.ModelInput;
import io.github.dgpo.core.util.Profiler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@link SequenceLogprobs#computeFused}: the head in one pass. Chunks hold whole groups of
 * sequences (a pair's two completions); for each chunk the completion logits are computed once,
 * the chunk's sums go straight into the caller's loss, and one backward takes the loss's gradient
 * through the head (three {@code [chunk × H] × [H × V]} products per chunk instead of the two-pass
 * path's four). A group longer than a chunk goes alone through the two-pass path.
 */
final class OnePassHead {

    private final SequenceLogprobs owner;
    private final int chunkSize;

    OnePassHead(SequenceLogprobs owner) {
        this.owner = owner;
        this.chunkSize = owner.chunkSize();
    }

    /** See {@link SequenceLogprobs#computeFused}. */
    SequenceLogprobs.Result run(CausalLm model, ModelInput input, CompletionTargets targets, int[][] groups, SequenceLogprobs.ChunkLoss loss,
            GradientCollector collector, NDManager m) {
        Body body = SequenceLogprobs.forward(model, input, m);
        int s = targets.sequenceCount();
        float[] sums = new float[s];
        float[] aligned = owner.alignment() ? new float[s] : null;
        int[][] tokensOf = targets.tokensBySequence();
        NDArray leaf = targets.size() == 0 ? null : body.select(targets.rows());
        if (leaf != null) {
            leaf.setRequiresGradient(true);
        }
        int limit = chunkSize == SequenceLogprobs.NO_CHUNKING ? Integer.MAX_VALUE : chunkSize;
        List<Integer> chunk = new ArrayList<>();
        int chunkTokens = 0;
        for (int g = 0; g <= groups.length; g++) {
            int size = g == groups.length ? 0 : groupTokens(groups[g], tokensOf);
            if (!chunk.isEmpty() && (g == groups.length || chunkTokens + size > limit)) {
                fusedChunk(model, targets, groups, chunk, tokensOf, leaf, loss, collector, m, sums, aligned);
                chunk.clear();
                chunkTokens = 0;
            }
            if (g == groups.length) {
                break;
            }
            if (size > limit) {
                twoPassGroup(model, targets, groups, g, tokensOf, leaf, loss, collector, m, sums, aligned);
            } else {
                chunk.add(g);
                chunkTokens += size;
            }
        }
        if (leaf != null) {
            SequenceLogprobs.bodyBackward(body, collector, leaf.getGradient());
            leaf.setRequiresGradient(false);
        }
        return new SequenceLogprobs.Result(owner, model, null, null, targets, sums, aligned, null);
    }

    private void fusedChunk(CausalLm model, CompletionTargets targets, int[][] groups, List<Integer> chunk, int[][] tokensOf, NDArray leaf, SequenceLogprobs.ChunkLoss loss,
            GradientCollector collector, NDManager m, float[] sums, float[] aligned) {
        int[] chunkGroups = chunk.stream().mapToInt(Integer::intValue).toArray();
        int[] tokens = tokensOfGroups(groups, chunkGroups, tokensOf);
        try (NDManager sub = m.newSubManager()) {
            NDArray attached = tokens.length == 0 ? sub.zeros(new Shape(targets.sequenceCount())) : null;
            float[] chunkAligned = null;
            if (tokens.length > 0) {
                NDArray rows = SequenceLogprobs.rowsOf(leaf, tokens, sub);
                SequenceLogprobs.Head head = owner.head(rows, model.headWeight(), targets, tokens, sub);
                attached = head.sums();
                chunkAligned = head.alignment();
            }
            SequenceLogprobs.add(sums, attached.stopGradient().toFloatArray());
            if (aligned != null && chunkAligned != null) {
                SequenceLogprobs.add(aligned, chunkAligned);
            }
            NDArray value = loss.loss(chunkGroups, attached, chunkAligned == null && aligned != null ? new float[targets.sequenceCount()] : chunkAligned);
            if (tokens.length > 0) {
                try (Profiler.Phase p = Profiler.phase("head_backward")) {
                    collector.backward(value);
                }
            }
        }
    }

    /** One group whose tokens exceed a chunk: sums by sub-chunks, the loss's gradient on them, then sub-chunk backward. */
    private void twoPassGroup(CausalLm model, CompletionTargets targets, int[][] groups, int group, int[][] tokensOf, NDArray leaf, SequenceLogprobs.ChunkLoss loss,
            GradientCollector collector, NDManager m, float[] sums, float[] aligned) {
        int[] tokens = tokensOfGroups(groups, new int[] {group}, tokensOf);
        int s = targets.sequenceCount();
        float[] groupSums = new float[s];
        float[] groupAligned = aligned == null ? null : new float[s];
        try (NoGradient off = NoGradient.enter()) {
            for (int start = 0; start < tokens.length; start += chunkSize) {
                int[] part = Arrays.copyOfRange(tokens, start, Math.min(tokens.length, start + chunkSize));
                try (NDManager sub = m.newSubManager()) {
                    NDArray rows = SequenceLogprobs.rowsOf(leaf, part, sub);
                    SequenceLogprobs.Head head = owner.head(rows, model.headWeight(), targets, part, sub);
                    SequenceLogprobs.add(groupSums, head.sums().toFloatArray());
                    if (groupAligned != null) {
                        SequenceLogprobs.add(groupAligned, head.alignment());
                    }
                }
            }
        }
        SequenceLogprobs.add(sums, groupSums);
        if (aligned != null) {
            SequenceLogprobs.add(aligned, groupAligned);
        }
        float[] weights;
        try (NDManager sub = m.newSubManager()) {
            NDArray sumsLeaf = sub.create(groupSums);
            sumsLeaf.setRequiresGradient(true);
            collector.backward(loss.loss(new int[] {group}, sumsLeaf, groupAligned));
            weights = sumsLeaf.getGradient().toFloatArray();
        }
        for (int start = 0; start < tokens.length; start += chunkSize) {
            int[] part = Arrays.copyOfRange(tokens, start, Math.min(tokens.length, start + chunkSize));
            try (NDManager sub = m.newSubManager()) {
                NDArray rows = SequenceLogprobs.rowsOf(leaf, part, sub);
                NDArray partSums = owner.head(rows, model.headWeight(), targets, part, sub).sums();
                try (Profiler.Phase p = Profiler.phase("head_backward")) {
                    collector.backward(partSums.mul(sub.create(weights)).sum());
                }
            }
        }
    }

    /** Completion tokens of a group's sequences. */
    private static int groupTokens(int[] group, int[][] tokensOf) {
        int n = 0;
        for (int s : group) {
            n += tokensOf[s].length;
        }
        return n;
    }

    private static int[] tokensOfGroups(int[][] groups, int[] chosen, int[][] tokensOf) {
        int n = 0;
        for (int g : chosen) {
            n += groupTokens(groups[g], tokensOf);
        }
        int[] out = new int[n];
        int k = 0;
        for (int g : chosen) {
            for (int s : groups[g]) {
                System.arraycopy(tokensOf[s], 0, out, k, tokensOf[s].length);
                k += tokensOf[s].length;
            }
        }
        return out;
    }
}
