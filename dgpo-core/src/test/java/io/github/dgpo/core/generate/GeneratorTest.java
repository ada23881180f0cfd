package io.github.dgpo.core.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.core.EngineManagerTest;
import io.github.dgpo.core.TestResources;
import io.github.dgpo.core.model.Architecture;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.model.ModelConfig;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** KV-cached decoding against the full forward pass, and stories260K's greedy story. */
class GeneratorTest extends EngineManagerTest {

    /** Logits of the last position after running the whole sequence without a cache. */
    private static float[] fullForwardLastLogits(CausalLm model, long[] ids) {
        try (NDManager m = manager.newSubManager()) {
            long[][] ones = new long[1][ids.length];
            Arrays.fill(ones[0], 1);
            NDArray hidden = model.hiddenStates(m.create(new long[][] {ids}), m.create(ones));
            return model.logits(hidden.get(":, -1, :")).toFloatArray();
        }
    }

    private static void assertCachedEqualsFull(CausalLm model, long[] prompt, GenerationOptions options) {
        Generator.Result r = new Generator(model).generate(prompt, options, true);
        assertTrue(r.newIds().length > 3);
        for (int step = 0; step < r.newIds().length; step++) {
            long[] prefix = Arrays.copyOf(r.ids(), prompt.length + step);
            float[] full = fullForwardLastLogits(model, prefix);
            float[] cached = r.stepLogits().get(step);
            for (int k = 0; k < full.length; k++) {
                assertEquals(full[k], cached[k], 1e-4 * Math.max(1, Math.abs(full[k])), "step " + step + " logit " + k);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void kvCachedLogitsEqualFullForwardAtEveryStep(Architecture a) {
        ModelConfig c = ModelConfig.builder(a).set("vocab_size", 50).set("initializer_range", 0.5)
                .set("sliding_window", a == Architecture.MISTRAL ? 3 : null).build();
        try (CausalLm model = CausalLm.random(c, 9, manager)) {
            assertCachedEqualsFull(model, new long[] {1, 7, 9, 3}, GenerationOptions.greedy(12, Set.of()));
            assertCachedEqualsFull(model, new long[] {1}, new GenerationOptions(12, 0.8, 10, 0.9, 123, Set.of()));
        }
    }

    @Test
    void stories260KGreedyFromBosMatchesTransformersAndIsDeterministic() throws Exception {
        JsonNode ref = new ObjectMapper().readTree(TestResources.path("models/stories260K-reference.json").toFile());
        long[] expected = new ObjectMapper().convertValue(ref.get("greedy_from_bos"), long[].class);
        try (CausalLm model = CausalLm.load(TestResources.stories260K(), manager)) {
            GenerationOptions greedy = GenerationOptions.greedy(expected.length - 1, Set.of());
            long[] first = new Generator(model).generate(new long[] {1}, greedy, false).ids();
            long[] second = new Generator(model).generate(new long[] {1}, greedy, false).ids();
            assertArrayEquals(expected, first, "greedy continuation differs from transformers' generate()");
            assertArrayEquals(first, second);
            assertCachedEqualsFull(model, new long[] {1}, GenerationOptions.greedy(30, Set.of()));
        }
    }

    @Test
    void stopsAtAnyEosAndSamplingFollowsTheSeed() throws Exception {
        try (CausalLm model = CausalLm.load(TestResources.stories260K(), manager)) {
            GenerationOptions sampled = new GenerationOptions(40, 1.0, 0, 1, 42, Set.of());
            long[] a = new Generator(model).generate(new long[] {1}, sampled, false).ids();
            long[] b = new Generator(model).generate(new long[] {1}, sampled, false).ids();
            long[] c = new Generator(model).generate(new long[] {1}, new GenerationOptions(40, 1.0, 0, 1, 43, Set.of()), false).ids();
            assertArrayEquals(a, b, "same seed, same sample");
            assertNotEquals(Arrays.toString(a), Arrays.toString(c), "another seed, another sample");
            long stop = a[5];
            Generator.Result r = new Generator(model).generate(new long[] {1}, new GenerationOptions(40, 1.0, 0, 1, 42, Set.of(999, (int) stop)), false);
            assertTrue(r.stoppedAtEos());
            assertEquals(stop, r.newIds()[r.newIds().length - 1]);
            assertTrue(r.newIds().length <= 5);
            List<Long> newIds = Arrays.stream(r.newIds()).boxed().toList();
            assertEquals(1, newIds.stream().filter(x -> x == stop).count());
        }
    }

    @Test
    void stopsAtMaxPositionEmbeddingsAndRefusesALongerPrompt() {
        ModelConfig c = ModelConfig.builder(Architecture.LLAMA).set("vocab_size", 50).set("max_position_embeddings", 8).build();
        try (CausalLm model = CausalLm.random(c, 9, manager)) {
            Generator.Result r = new Generator(model).generate(new long[] {1, 5, 7}, GenerationOptions.greedy(20, Set.of()), false);
            assertEquals(8, r.ids().length, "prompt + new tokens fill exactly max_position_embeddings");
            assertEquals(5, r.newIds().length);
            assertEquals(Generator.Stop.MAX_POSITIONS, r.stop());
            Generator.Result full = new Generator(model).generate(new long[] {1, 2, 3, 4, 5, 6, 7, 8}, GenerationOptions.greedy(3, Set.of()), false);
            assertEquals(0, full.newIds().length);
            assertEquals(Generator.Stop.MAX_POSITIONS, full.stop());
            assertEquals(Generator.Stop.MAX_NEW_TOKENS, new Generator(model).generate(new long[] {1}, GenerationOptions.greedy(3, Set.of()), false).stop());
            String msg = assertThrows(IllegalArgumentException.class,
                    () -> new Generator(model).generate(new long[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, GenerationOptions.greedy(3, Set.of()), false)).getMessage();
            assertEquals("the prompt has 9 tokens, more than the model's max_position_embeddings (8); shorten it", msg);
        }
    }
}
