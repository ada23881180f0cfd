package io.github.dgpo.core.generate;

import ai.djl.ndarray.NDManager;
import io.github.dgpo.core.OfflineEngine;
import io.github.dgpo.core.model.Architecture;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.model.ModelConfig;
import io.github.dgpo.core.util.ProcessMemory;
import java.util.Set;

/**
 * Child-JVM probe for {@link GeneratorMemoryTest}: generates with a tiny random Llama (KV cache
 * {@value #KV_BYTES_PER_POSITION} bytes per position) and prints, for each length given, {@code
 * GROWTH <tokens> <MiB>}: the rise of the resident-set high-water mark during that generation.
 * Run with a pre-touched fixed heap, so the resident set moves only with native memory.
 */
public final class GenerationMemoryProbeMain {

    /** Cache bytes per position: 2 layers × (K + V) × 4 kv heads × 32 dims × 4 bytes. */
    static final long KV_BYTES_PER_POSITION = 2L * 2 * 4 * 32 * 4;

    private GenerationMemoryProbeMain() {}

    /**
     * Runs the probe.
     *
     * @param args new-token counts, each generated once after a short warm-up
     */
    public static void main(String[] args) {
        ModelConfig c = ModelConfig.builder(Architecture.LLAMA).set("vocab_size", 64).set("hidden_size", 128).set("intermediate_size", 128)
                .set("num_attention_heads", 4).set("num_key_value_heads", 4).set("max_position_embeddings", 4096).build();
        try (NDManager manager = OfflineEngine.newManager(); CausalLm model = CausalLm.random(c, 3, manager)) {
            generate(model, 100); // warm-up: engine, JIT, allocator pools
            for (String arg : args) {
                int n = Integer.parseInt(arg);
                double before = ProcessMemory.rssMb();
                if (!ProcessMemory.resetPeak()) {
                    System.out.println("NO-PEAK-RESET");
                    return;
                }
                generate(model, n);
                System.out.printf("GROWTH %d %.2f%n", n, ProcessMemory.peakMb() - before);
            }
        }
    }

    private static void generate(CausalLm model, int n) {
        Generator.Result r = new Generator(model).generate(new long[] {1}, GenerationOptions.greedy(n, Set.of()), false);
        if (r.newIds().length != n) {
            throw new IllegalStateException("generated " + r.newIds().length + " tokens, not " + n);
        }
    }
}
