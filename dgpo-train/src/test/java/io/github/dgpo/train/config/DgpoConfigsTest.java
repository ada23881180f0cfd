package io.github.dgpo.train.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dgpo.losses.PreferenceLosses;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every config in the repository loads and validates; config errors name the key. */
class DgpoConfigsTest {

    private static Path repo() {
        return io.github.dgpo.train.TestRepo.path("configs").getParent();
    }

    @Test
    void everyConfigInTheRepositoryIsValid() throws Exception {
        List<Path> configs;
        try (Stream<Path> s = Files.walk(repo().resolve("configs"))) {
            configs = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertTrue(configs.size() >= 21, "9 losses x 2 paper models + tiny runs, got " + configs.size());
        for (Path p : configs) {
            TrainConfig c = ConfigLoader.load(p, List.of());
            assertTrue(Files.readString(p).startsWith("#"), p + " starts with a comment giving its command");
            assertTrue(Files.readString(p).contains("dgpo.jar train --config") || Files.readString(p).contains("dgpo.jar bench train --config"), p.toString());
            if (p.toString().contains("/paper/")) {
                assertEquals(16, c.perDeviceTrainBatchSize * c.gradientAccumulationSteps, p + ": global batch 16");
                assertEquals(0.1, c.warmupRatio, 0.0, p.toString());
                assertEquals(2048, c.maxLength, p.toString());
                assertEquals(1.0, c.numTrainEpochs, 0.0, p.toString());
                assertEquals(c.loss().hyperparameters().keySet().containsAll(c.lossHyperparameters().keySet()), true, p.toString());
            }
        }
        for (String loss : PreferenceLosses.PAPER_LOSSES) {
            for (String model : List.of("mistral-7b-instruct-v0.2", "llama-3-8b-instruct")) {
                assertTrue(Files.exists(repo().resolve("configs/paper/" + model + "/" + loss + ".yaml")), loss + " " + model);
            }
        }
        TrainConfig dpo = ConfigLoader.load(repo().resolve("configs/paper/mistral-7b-instruct-v0.2/dpo.yaml"), List.of());
        assertEquals(0.01, ((Number) dpo.beta).doubleValue(), 0.0, "Table 6: DPO beta 0.01");
        TrainConfig dgpo = ConfigLoader.load(repo().resolve("configs/paper/llama-3-8b-instruct/dgpo.yaml"), List.of());
        assertEquals(2.5, ((Number) dgpo.beta).doubleValue(), 0.0);
    }

    @Test
    void unknownKeysOverridesAndBadValues(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("c.yaml");
        Files.writeString(f, "model_name_or_path: m\ndataset_path: d\noutput_dir: o\nlearnig_rate: 1e-5\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConfigLoader.load(f, List.of()));
        assertTrue(e.getMessage().contains("unknown key 'learnig_rate'; valid keys: "), e.getMessage());
        assertTrue(e.getMessage().contains("learning_rate"), e.getMessage());
        Files.writeString(f, "model_name_or_path: m\ndataset_path: d\noutput_dir: o\n");
        TrainConfig c = ConfigLoader.load(f, List.of("learning_rate=2e-6", "loss_type=dpo", "beta=0.2", "max_steps=7"));
        assertEquals(2e-6, c.learningRate, 0.0);
        assertEquals(7, c.maxSteps);
        assertEquals(0.2, ((Number) c.beta).doubleValue(), 0.0);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ConfigLoader.load(f, List.of("loss_type=ipo", "beta=0.1"))).getMessage()
                .contains("unknown hyperparameter beta for loss 'ipo'; valid: tau"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ConfigLoader.load(f, List.of("warmup_ratio=2"))).getMessage().contains("warmup_ratio must be in [0, 1]"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ConfigLoader.load(f, List.of("lr_scheduler_type=step"))).getMessage().contains("lr_scheduler_type"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ConfigLoader.load(f, List.of("nonsense"))).getMessage().contains("--set expects key=value"));
        Files.writeString(f, "dataset_path: d\noutput_dir: o\n");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ConfigLoader.load(f, List.of())).getMessage().contains("give exactly one of model_name_or_path"));
    }
}
