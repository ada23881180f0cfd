package io.github.dgpo.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Config values no model can have are refused by {@link ModelConfig#parse} with the field named,
 * before a layout is built or anything allocated.
 */
class ModelConfigValidationTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode valid() {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("vocab_size", 10).put("hidden_size", 8).put("intermediate_size", 8).put("num_hidden_layers", 2).put("num_attention_heads", 2);
        return c;
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of("rope_theta", "0", "field 'rope_theta' must be a finite number > 0, got 0"),
                Arguments.of("rope_theta", "-5.0", "field 'rope_theta' must be a finite number > 0, got -5.0"),
                Arguments.of("rope_theta", "\"big\"", "field 'rope_theta' must be a finite number > 0, got \"big\""),
                Arguments.of("rms_norm_eps", "-1e-6", "field 'rms_norm_eps' must be a finite number >= 0, got -1.0E-6"),
                Arguments.of("head_dim", "0", "field 'head_dim' must be a positive integer, got 0"),
                Arguments.of("head_dim", "3", "field 'head_dim' must be even (rotary embeddings rotate pairs), got 3"),
                Arguments.of("num_key_value_heads", "0", "field 'num_key_value_heads' must be a positive integer, got 0"),
                Arguments.of("num_key_value_heads", "\"abc\"", "field 'num_key_value_heads' must be a positive integer, got \"abc\""),
                Arguments.of("num_key_value_heads", "3", "num_attention_heads 2 is not a multiple of num_key_value_heads 3"),
                Arguments.of("num_hidden_layers", "100000000", "field 'num_hidden_layers' is 100000000, more than 1024"),
                Arguments.of("hidden_size", "64.5", "field 'hidden_size' must be a positive integer, got 64.5"),
                Arguments.of("hidden_size", "1e12", "field 'hidden_size' must be a positive integer, got 1.0E12"),
                Arguments.of("num_attention_heads", "16", "hidden_size 8 is smaller than num_attention_heads 16: set head_dim"),
                Arguments.of("vocab_size", "99999999999", "field 'vocab_size' must be a positive integer, got 99999999999"),
                Arguments.of("max_position_embeddings", "0", "field 'max_position_embeddings' must be a positive integer, got 0"),
                Arguments.of("sliding_window", "\"x\"", "field 'sliding_window' must be an integer or null, got \"x\""),
                Arguments.of("tie_word_embeddings", "\"yes\"", "field 'tie_word_embeddings' must be true or false, got \"yes\""),
                Arguments.of("eos_token_id", "\"</s>\"", "field 'eos_token_id' must be a token id (an integer >= 0) or a list of them, got \"</s>\""),
                Arguments.of("rope_scaling", "{\"type\": \"linear\", \"factor\": 0}", "rope scaling field 'factor' must be a finite number > 0, got 0"));
    }

    @ParameterizedTest
    @MethodSource("badValues")
    void impossibleValuesAreNamed(String field, String json, String message) throws Exception {
        ObjectNode c = valid();
        c.set(field, JSON.readTree(json));
        String msg = assertThrows(IllegalArgumentException.class, () -> ModelConfig.parse(c, "cfg.json")).getMessage();
        assertTrue(msg.startsWith("cfg.json: "), msg);
        assertTrue(msg.contains(message), "expected '" + message + "' in: " + msg);
    }

    @Test
    void aTypoInARandomModelKeyIsAnErrorListingTheValidKeys() {
        ModelConfig.Builder b = ModelConfig.builder(Architecture.QWEN3);
        String msg = assertThrows(IllegalArgumentException.class, () -> b.set("hiden_size", 64)).getMessage();
        assertTrue(msg.startsWith("unknown model config key 'hiden_size'; valid keys: "), msg);
        assertTrue(msg.contains("hidden_size") && msg.contains("num_key_value_heads") && msg.contains("rope_theta"), msg);
        assertEquals(64, ModelConfig.builder(Architecture.QWEN3).set("hidden_size", 64).build().hiddenSize());
    }

    @Test
    void theBuilderRefusesADecimalWhereAnIntegerBelongs() {
        String msg = assertThrows(IllegalArgumentException.class, () -> ModelConfig.builder(Architecture.LLAMA).set("hidden_size", 64.5).build()).getMessage();
        assertTrue(msg.contains("field 'hidden_size' must be a positive integer, got 64.5"), msg);
    }

    @Test
    void maxPositionEmbeddingsIsRead() {
        ObjectNode c = valid();
        assertEquals(0, ModelConfig.parse(c, "c").maxPositionEmbeddings(), "absent: no limit known");
        c.put("max_position_embeddings", 512);
        assertEquals(512, ModelConfig.parse(c, "c").maxPositionEmbeddings());
    }
}
