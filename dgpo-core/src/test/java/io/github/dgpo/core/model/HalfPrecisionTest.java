package io.github.dgpo.core.model;

import static io.github.dgpo.core.FloatAssertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.github.dgpo.core.EngineManagerTest;
import io.github.dgpo.core.TestResources;
import io.github.dgpo.core.safetensors.DType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A float16 base: the forward pass equals the float32 forward pass of the same weights rounded to
 * float16 (so the only difference is the storage), with and without adapters; a BF16 checkpoint
 * loads into it; a value beyond float16's range is refused by name; its weights cannot be trained
 * in full.
 */
class HalfPrecisionTest extends EngineManagerTest {

    @TempDir
    Path tmp;

    /** Rounds every weight a float16 base narrows to float16, in place, keeping float32 storage. */
    private static void roundToHalf(CausalLm model) {
        model.parameters().forEach((name, p) -> {
            if (BaseDtype.FLOAT16.narrows(name, model.config())) {
                try (NDArray half = p.toType(DataType.FLOAT16, false); NDArray back = half.toType(DataType.FLOAT32, false)) {
                    p.set(new NDIndex("..."), back);
                }
            }
        });
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void forwardEqualsTheFloat32ForwardOfTheRoundedWeights(Architecture arch) throws IOException {
        ModelConfig config = LoraTest.tiny(arch);
        Path dir = tmp.resolve(arch.modelType());
        try (CausalLm source = CausalLm.random(config, 13, manager)) {
            source.save(dir, DType.F32, Long.MAX_VALUE, null);
        }
        ModelInput input = LoraTest.input(config.vocabSize(), 5);
        LoraConfig lora = LoraConfig.of(3, 6, 0, List.of("q_proj", "v_proj", "down_proj"), false);
        try (CausalLm half = CausalLm.load(dir, manager, BaseDtype.FLOAT16); CausalLm rounded = CausalLm.load(dir, manager);
                LoraAdapters adapters = LoraTest.randomAdapters(config, lora, 4, manager); NDManager m = manager.newSubManager()) {
            Map<String, NDArray> params = half.parameters();
            assertEquals(DataType.FLOAT16, params.get("model.layers.1.mlp.down_proj.weight").getDataType());
            assertEquals(DataType.FLOAT32, params.get("model.layers.1.post_attention_layernorm.weight").getDataType());
            assertEquals(DataType.FLOAT32, half.headWeight().getDataType(), "the head stays float32");
            assertEquals(config.tieWordEmbeddings() ? DataType.FLOAT32 : DataType.FLOAT16, params.get("model.embed_tokens.weight").getDataType());
            roundToHalf(rounded);
            assertClose(arch + " hidden states", rounded.forward(input, m).hidden().toFloatArray(), half.forward(input, m).hidden().toFloatArray());
            NDArray ids = m.create(input.ids());
            NDArray mask = m.ones(ids.getShape(), DataType.INT64);
            assertClose(arch + " logits", rounded.logits(rounded.hiddenStates(ids, mask)).toFloatArray(), half.logits(half.hiddenStates(ids, mask)).toFloatArray());
            assertClose(arch + " hidden states with adapters", rounded.withAdapters(adapters).forward(input, m).hidden().toFloatArray(),
                    half.withAdapters(adapters).forward(input, m).hidden().toFloatArray());
        }
    }

    @Test
    void aBf16CheckpointLoadsIntoAFloat16BaseExactly() throws IOException {
        Path dir = TestResources.path("models/tiny-llama-bf16");
        try (CausalLm half = CausalLm.load(dir, manager, BaseDtype.FLOAT16); CausalLm wide = CausalLm.load(dir, manager);
                NDManager m = manager.newSubManager()) {
            ModelInput input = LoraTest.input(wide.config().vocabSize(), 1);
            // BF16 values of this size are exact in float16 (fewer mantissa bits, exponent in range)
            assertClose("hidden states", wide.forward(input, m).hidden().toFloatArray(), half.forward(input, m).hidden().toFloatArray(), 1e-6);
        }
    }

    @Test
    void valuesBeyondFloat16AreRefusedByTensorAndCount() throws IOException {
        ModelConfig config = LoraTest.tiny(Architecture.QWEN3);
        Path dir = tmp.resolve("overflow");
        try (CausalLm source = CausalLm.random(config, 1, manager)) {
            NDArray w = source.parameters().get("model.layers.1.self_attn.o_proj.weight");
            w.set(new NDIndex("0, 0"), 70000f);
            w.set(new NDIndex("1, 2"), -1e6f);
            source.save(dir, DType.F32, Long.MAX_VALUE, null);
        }
        IOException e = assertThrows(IOException.class, () -> CausalLm.load(dir, manager, BaseDtype.FLOAT16));
        assertTrue(e.getMessage().contains("model.layers.1.self_attn.o_proj.weight") && e.getMessage().contains("2 values beyond float16's range"), e.getMessage());
        try (CausalLm wide = CausalLm.load(dir, manager)) {
            assertEquals(70000f, wide.parameters().get("model.layers.1.self_attn.o_proj.weight").getFloat(0, 0));
        }
    }

    @Test
    void aFloat16BaseTrainsAdaptersOnly() {
        ModelConfig config = LoraTest.tiny(Architecture.LLAMA);
        try (CausalLm half = CausalLm.random(config, 2, manager, BaseDtype.FLOAT16)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> half.setTrainable(true));
            assertTrue(e.getMessage().contains("use_peft"), e.getMessage());
        }
    }
}
