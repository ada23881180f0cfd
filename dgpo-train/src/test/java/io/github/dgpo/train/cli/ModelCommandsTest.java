package io.github.dgpo.train.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.train.TestRepo;
import io.github.dgpo.core.TestResources;
import org.junit.jupiter.api.Test;

/** {@code dgpo score} and {@code dgpo generate} on the real stories260K model, against HF transformers. */
class ModelCommandsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static TestRepo.Run run(String... args) {
        return TestRepo.cli(args);
    }

    @Test
    void scoreMatchesTransformersLogits() throws Exception {
        JsonNode ref = JSON.readTree(TestResources.path("models/stories260K-reference.json").toFile());
        long[] ids = JSON.convertValue(ref.get("input_ids").get(0), long[].class);
        double[][] logits = JSON.convertValue(ref.get("logits").get(0), double[][].class);
        StringBuilder idText = new StringBuilder();
        for (long id : ids) {
            idText.append(idText.length() == 0 ? "" : ",").append(id);
        }
        TestRepo.Run r = run("score", "--model", TestResources.stories260K().toString(), "--ids", idText.toString(), "--logits-at", "0,3", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode o = JSON.readTree(r.out());
        double sum = 0;
        for (int i = 1; i < ids.length; i++) {
            double[] row = logits[i - 1];
            double max = Double.NEGATIVE_INFINITY;
            for (double x : row) {
                max = Math.max(max, x);
            }
            double z = 0;
            for (double x : row) {
                z += Math.exp(x - max);
            }
            double expected = row[(int) ids[i]] - max - Math.log(z);
            assertEquals(expected, o.get("token_logprobs").get(i - 1).asDouble(), 1e-4);
            sum += expected;
        }
        assertEquals(sum, o.get("sum_logprob").asDouble(), 1e-3);
        assertEquals(logits[3][100], o.get("logits").get("3").get(100).asDouble(), 1e-4);
        assertEquals(512, o.get("logits").get("0").size());
    }

    @Test
    void generateIsTransformersGreedy() throws Exception {
        JsonNode ref = JSON.readTree(TestResources.path("models/stories260K-reference.json").toFile());
        long[] expected = JSON.convertValue(ref.get("greedy_from_bos"), long[].class);
        TestRepo.Run r = run("generate", "--model", TestResources.stories260K().toString(), "--ids", "1", "--max-new-tokens", Integer.toString(expected.length - 1), "--json");
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(expected, JSON.convertValue(JSON.readTree(r.out()).get("ids"), long[].class));
    }

    @Test
    void generateStopsAtMaxPositionEmbeddingsAndSaysSo() throws Exception {
        TestRepo.Run r = run("generate", "--model", TestResources.stories260K().toString(), "--ids", "1,2,3", "--max-new-tokens", "600", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode o = JSON.readTree(r.out());
        assertEquals(512, o.get("ids").size(), "stories260K's max_position_embeddings");
        assertEquals("max_positions", o.get("stop").asText());
        assertTrue(r.err().contains("note: stopped after 509 new tokens at the model's max_position_embeddings (512)"), r.err());
    }

    @Test
    void badArgumentsAreClearErrors() {
        String model = TestResources.stories260K().toString();
        TestRepo.Run ids = run("score", "--model", model, "--ids", "1,x");
        assertEquals(DgpoCli.USER_ERROR, ids.code());
        assertTrue(ids.err().contains("--ids must be comma-separated integers, got '1,x'"), ids.err());
        TestRepo.Run vocab = run("score", "--model", model, "--ids", "1,9999");
        assertTrue(vocab.err().contains("id 9999 is outside the vocabulary [0, 511]"), vocab.err());
        TestRepo.Run pos = run("score", "--model", model, "--ids", "1,2", "--logits-at", "5");
        assertTrue(pos.err().contains("--logits-at position 5 is outside [0, 1]"), pos.err());
        TestRepo.Run missing = run("generate", "--model", "/nonexistent/model", "--ids", "1");
        assertEquals(DgpoCli.USER_ERROR, missing.code());
        assertTrue(missing.err().contains("model folder does not exist"), missing.err());
        TestRepo.Run prompt = run("generate", "--model", model, "--prompt", "Once upon a time");
        assertTrue(prompt.err().contains("--prompt needs a tokenizer.json in the model folder"), prompt.err());
        TestRepo.Run temp = run("generate", "--model", model, "--ids", "1", "--temperature", "-1");
        assertTrue(temp.err().contains("temperature must be >= 0"), temp.err());
    }
}
