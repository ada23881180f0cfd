package io.github.dgpo.train.run;

import static io.github.dgpo.train.run.TrainTestSupport.config;
import static io.github.dgpo.train.run.TrainTestSupport.load;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.github.dgpo.core.OfflineEngine;
import java.lang.reflect.Field;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing of a run is created off the run's device. The guard: the engine's default device is
 * set to a GPU this machine does not have, so any array made through a manager that does not
 * descend from the run's root manager (a stray {@code NDManager.newBaseManager()}, an {@code
 * OfflineEngine.newManager()} without the run's device) would be created on that GPU and fail at
 * once. With the guard armed, whole tiny runs with {@code device: cpu} named explicitly (LoRA with
 * checkpointing, a live DPO reference, evaluation and checkpoints; a full fine-tune with a
 * precomputed reference; KTO's mismatched pairs) complete.
 */
class DeviceAuditTest {

    @TempDir
    Path tmp;

    @Test
    void aRunOnTheCpuCreatesNothingOnAnyOtherDevice() throws Exception {
        Engine engine = OfflineEngine.engine();
        Field field = Engine.class.getDeclaredField("defaultDevice");
        field.setAccessible(true);
        Object previous = field.get(engine);
        field.set(engine, Device.gpu(0));
        try {
            assertThrows(Exception.class, () -> {
                try (NDManager stray = OfflineEngine.newManager()) {
                    stray.create(1f);
                }
            }, "the guard is armed: an array on the default device fails");
            String[] common = {"device: cpu", "max_steps: 3", "eval_fraction: 0.25", "eval_steps: 2", "save_steps: 2", "logits_chunk_size: 16"};
            new Trainer(load(config(tmp, tmp.resolve("lora").toString(), LoraTrainingTest.concat(common, "loss_type: dpo", "use_peft: true", "lora_r: 2",
                    "gradient_checkpointing: true", "base_dtype: float16"))), Trainer.Mode.FRESH, null).run();
            new Trainer(load(config(tmp, tmp.resolve("full").toString(), LoraTrainingTest.concat(common, "loss_type: ipo", "precompute_ref_log_probs: true",
                    "ref_cache_dir: " + tmp.resolve("cache")))), Trainer.Mode.FRESH, null).run();
            new Trainer(load(config(tmp, tmp.resolve("kto").toString(), LoraTrainingTest.concat(common, "loss_type: kto"))), Trainer.Mode.FRESH, null).run();
            Trainer.Result resumed = new Trainer(load(config(tmp, tmp.resolve("lora").toString(), LoraTrainingTest.concat(common, "loss_type: dpo", "use_peft: true",
                    "lora_r: 2", "gradient_checkpointing: true", "base_dtype: float16", "max_steps: 4"))), Trainer.Mode.RESUME, null).run();
            assertEquals(4, resumed.steps());
        } finally {
            field.set(engine, previous);
        }
    }
}
