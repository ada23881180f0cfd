package io.github.dgpo.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.HashMap;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * What the layers of one forward pass share: the rotary tables of the tokens' positions, one
 * additive attention mask per sliding window (built on first use, in the pass's manager, so it
 * outlives every layer's own scope), the KV cache, and the seed of the adapters' dropout masks
 * (training passes only).
 */
final class ForwardPass {

    private final RotaryEmbedding.Tables rotary;
    private final IntFunction<NDArray> maskFor;
    private final Map<Integer, NDArray> masks = new HashMap<>();
    private final KvCache cache;
    private final Long dropoutSeed;

    /**
     * @param rotary rotary tables
     * @param maskFor builds the mask of a sliding window (0 for none)
     * @param cache the KV cache, or null
     * @param dropoutSeed the adapters' dropout seed of this pass, or null for no dropout
     */
    ForwardPass(RotaryEmbedding.Tables rotary, IntFunction<NDArray> maskFor, KvCache cache, Long dropoutSeed) {
        this.rotary = rotary;
        this.maskFor = maskFor;
        this.cache = cache;
        this.dropoutSeed = dropoutSeed;
    }

    RotaryEmbedding.Tables rotary() {
        return rotary;
    }

    NDArray mask(int window) {
        return masks.computeIfAbsent(window, maskFor::apply);
    }

    KvCache cache() {
        return cache;
    }

    /**
     * Inverted dropout ({@code x·mask/(1-p)}) on an adapter's input. The mask is drawn from the
     * engine's generator seeded from the pass seed, the layer and the module alone, so a layer
     * re-run for checkpointing draws exactly the mask of the first run, and a resumed run the
     * masks of an uninterrupted one.
     *
     * @param x the input
     * @param rate the drop probability
     * @param layer the layer index
     * @param module the module's index in {@link LoraConfig#MODULES}
     * @return the dropped input, or {@code x} outside training or at rate 0
     */
    NDArray dropout(NDArray x, double rate, int layer, int module) {
        if (dropoutSeed == null || rate == 0) {
            return x;
        }
        JniUtils.setSeed(Seeds.mix(dropoutSeed, layer, module));
        return x.getNDArrayInternal().dropout(x, (float) rate, true).singletonOrThrow();
    }
}
