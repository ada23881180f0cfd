package io.github.dgpo.train.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.core.TestResources;
import io.github.dgpo.core.model.ModelConfig;
import io.github.dgpo.core.model.ParameterLayout;
import io.github.dgpo.train.config.ConfigLoader;
import io.github.dgpo.train.config.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The planner's arithmetic on published configs: weights by dtype, adapters, the reference by
 * kind, and what checkpointing, a float16 base and a precomputed reference change.
 */
class MemoryPlannerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private static ModelConfig published(String name) throws Exception {
        return ModelConfig.parse(JSON.readTree(TestResources.path("configs/" + name + ".json").toFile()), name);
    }

    private TrainConfig config(String... overrides) throws Exception {
        Path f = tmp.resolve("run.yaml");
        Files.writeString(f, "model_name_or_path: m\ndataset_path: d\noutput_dir: o\nmax_length: 2048\nper_device_train_batch_size: 2\n");
        return ConfigLoader.load(f, List.of(overrides));
    }

    @Test
    void theTablesModelsParseWithTheirPublishedParameterCounts() throws Exception {
        assertEquals(494_032_768L, ParameterLayout.of(published("Qwen2.5-0.5B-Instruct")).count());
        assertEquals(1_543_714_304L, ParameterLayout.of(published("Qwen2.5-1.5B-Instruct")).count());
        assertEquals(7_615_616_512L, ParameterLayout.of(published("Qwen2.5-7B-Instruct")).count());
    }

    @Test
    void componentsFollowTheConfig() throws Exception {
        ModelConfig qwen = published("Qwen2.5-7B-Instruct");
        long params = 7_615_616_512L;
        long embedding = 152_064L * 3584;
        long projections = params - 2 * embedding - 28L * 2 * 3584 - 3584 - 28L * (3584 + 2 * 512);
        MemoryPlan full = MemoryPlanner.plan(qwen, config("loss_type=dpo"), true);
        assertEquals(0, full.components().get("weights"));
        assertEquals(4 * params, full.components().get("trainable"));
        assertEquals(4 * params, full.components().get("reference"), "a live float32 copy");
        MemoryPlan halfRef = MemoryPlanner.plan(qwen, config("loss_type=dpo", "base_dtype=float16"), true);
        assertEquals(4 * params - 2 * (projections + embedding), halfRef.components().get("reference"), "projections and the untied embedding in float16");
        MemoryPlan precomputed = MemoryPlanner.plan(qwen, config("loss_type=dpo", "precompute_ref_log_probs=true"), true);
        assertEquals(0, precomputed.components().get("reference"));
        MemoryPlan dgpo = MemoryPlanner.plan(qwen, config("loss_type=dgpo"), true);
        assertEquals(0, dgpo.components().get("reference"), "DGPO needs no reference");

        MemoryPlan lora = MemoryPlanner.plan(qwen, config("loss_type=dpo", "use_peft=true", "base_dtype=float16", "gradient_checkpointing=true"), true);
        assertEquals(4 * params - 2 * (projections + embedding), lora.components().get("weights"));
        assertEquals(0, lora.components().get("reference"), "adapters off");
        long adapters = 28L * 16 * ((3584 + 3584) + 2 * (3584 + 512) + (3584 + 3584) + 3 * (3584 + 18944));
        assertEquals(4 * adapters, lora.components().get("trainable"));
        MemoryPlan fromAdapter = MemoryPlanner.plan(qwen, config("loss_type=dpo", "use_peft=true", "adapter_name_or_path=a"), true);
        assertEquals(4 * adapters, fromAdapter.components().get("reference"), "a frozen copy of the starting adapter");

        MemoryPlan noCheckpointing = MemoryPlanner.plan(qwen, config("loss_type=dpo", "use_peft=true", "base_dtype=float16"), true);
        assertTrue(lora.totalBytes() < noCheckpointing.totalBytes() / 2, "checkpointing keeps one layer's activations: " + lora.totalBytes() + " vs " + noCheckpointing.totalBytes());
        long sum = lora.components().values().stream().mapToLong(Long::longValue).sum();
        assertEquals(sum, lora.totalBytes());
    }
}
