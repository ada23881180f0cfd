package io.github.dgpo.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.core.EngineManagerTest;
import io.github.dgpo.core.TestResources;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Logits of each architecture against HF transformers 5.18 (float32, eager attention) on a
 * right-padded batch, from fixtures made once by {@code tools/generate_model_fixtures.py}: tiny
 * random Llama (llama3 rope scaling, untied head), Mistral (sliding window 5 over 13 tokens),
 * Qwen2 (q/k/v biases, tied head, sliding window configured but unused), Qwen3 (q/k norms,
 * explicit head_dim 12 ≠ 32/4), a BF16 Llama (linear rope scaling, widened on load), and the
 * real stories260K.
 */
class HfReferenceTest extends EngineManagerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-mistral", "tiny-qwen2", "tiny-qwen3", "tiny-llama-bf16", "stories260K"})
    void logitsMatchTransformers(String name) throws Exception {
        Path dir = TestResources.path("models/" + name);
        Path refFile = name.equals("stories260K") ? TestResources.path("models/stories260K-reference.json") : dir.resolve("reference.json");
        JsonNode ref = JSON.readTree(refFile.toFile());
        long[][] ids = JSON.convertValue(ref.get("input_ids"), long[][].class);
        long[][] mask = JSON.convertValue(ref.get("attention_mask"), long[][].class);
        double[][][] expected = JSON.convertValue(ref.get("logits"), double[][][].class);
        try (CausalLm model = CausalLm.load(dir, manager); NDManager m = manager.newSubManager()) {
            NDArray logits = model.logits(model.hiddenStates(m.create(ids), m.create(mask)));
            int v = model.config().vocabSize();
            float[] actual = logits.toFloatArray();
            int t = ids[0].length;
            double worst = 0;
            for (int b = 0; b < ids.length; b++) {
                for (int i = 0; i < t; i++) {
                    if (mask[b][i] == 0) {
                        continue;
                    }
                    for (int k = 0; k < v; k++) {
                        double e = expected[b][i][k];
                        double a = actual[(b * t + i) * v + k];
                        worst = Math.max(worst, Math.abs(e - a) / Math.max(1, Math.abs(e)));
                    }
                }
            }
            assertTrue(worst < 1e-4, name + ": worst relative logit difference " + worst);
            assertEquals(v, logits.getShape().get(2));
        }
    }
}
