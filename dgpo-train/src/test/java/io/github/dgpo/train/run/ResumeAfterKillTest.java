package io.github.dgpo.train.run;

import static io.github.dgpo.train.run.TrainTestSupport.config;
import static io.github.dgpo.train.run.TrainTestSupport.load;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dgpo.core.OfflineEngine;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.train.cli.DgpoCli;
import ai.djl.ndarray.NDManager;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import io.github.dgpo.core.model.PeftAdapterIo;
import io.github.dgpo.core.safetensors.SafetensorsFile;
import io.github.dgpo.core.safetensors.TensorInfo;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A run killed (the process, with SIGKILL, not an exception) after a checkpoint and resumed
 * with {@code --resume} ends with the same weights and the same metric lines as an
 * uninterrupted run, to 1e-6 (timing and memory fields aside): a full fine-tune, and a LoRA run
 * with adapter dropout (whose masks the resumed run must draw as the uninterrupted one does).
 */
class ResumeAfterKillTest {

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "lora={0}")
    @ValueSource(booleans = {false, true})
    void killedAndResumedRunEqualsUninterruptedRun(boolean lora) throws Exception {
        String[] settings = {"loss_type: dgpo", "max_steps: 40", "save_steps: 10", "save_total_limit: 2", "eval_fraction: 0.2", "eval_steps: 10"};
        if (lora) {
            settings = LoraTrainingTest.concat(settings, "use_peft: true", "lora_r: 4", "lora_alpha: 8", "lora_dropout: 0.2", "learning_rate: 0.003");
        }
        Path reference = tmp.resolve("uninterrupted");
        new Trainer(load(config(tmp, reference.toString(), settings)), Trainer.Mode.FRESH, null).run();

        Path run = tmp.resolve("killed");
        Path cfg = config(tmp, run.toString(), settings);
        Process child = cli(tmp.resolve("first.log"), "train", "--config", cfg.toString());
        Path checkpoint = run.resolve("checkpoint-10").resolve(Checkpoints.STATE);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (!Files.exists(checkpoint) && child.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(child.isAlive(), "the run must still be going when it is killed");
        child.destroyForcibly();
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        assertFalse(Files.exists(run.resolve("checkpoint-40")), "killed before the end");
        assertTrue(Files.exists(checkpoint));

        Process resumed = cli(tmp.resolve("resumed.log"), "train", "--config", cfg.toString(), "--resume");
        assertTrue(resumed.waitFor(300, TimeUnit.SECONDS));
        String out = Files.readString(tmp.resolve("resumed.log"));
        assertEquals(0, resumed.exitValue(), out);
        assertTrue(out.contains("resuming from"), out);

        TrainTestSupport.assertSameLines(TrainTestSupport.trainingLines(reference), TrainTestSupport.trainingLines(run), 1e-6);
        List<com.fasterxml.jackson.databind.JsonNode> evalA = MetricsLog.read(reference).stream().filter(l -> l.has("eval_loss")).toList();
        List<com.fasterxml.jackson.databind.JsonNode> evalB = MetricsLog.read(run).stream().filter(l -> l.has("eval_loss")).toList();
        TrainTestSupport.assertSameLines(evalA, evalB, 1e-6);
        List<com.fasterxml.jackson.databind.JsonNode> probeA = MetricsLog.read(reference).stream().filter(l -> l.has("probe/pairs")).toList();
        List<com.fasterxml.jackson.databind.JsonNode> probeB = MetricsLog.read(run).stream().filter(l -> l.has("probe/pairs")).toList();
        assertEquals(List.of(0, 10, 20, 30, 40), probeA.stream().map(l -> l.get("step").asInt()).toList(), "probe lines at step 0 and every eval_steps");
        TrainTestSupport.assertSameLines(probeA, probeB, 1e-6);
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.JsonNode findingA = json.readTree(reference.resolve("run_info.json").toFile()).get("finding");
        com.fasterxml.jackson.databind.JsonNode findingB = json.readTree(run.resolve("run_info.json").toFile()).get("finding");
        assertEquals(4, findingA.size(), "chosen and rejected, on the training probe pairs and the held-out pairs");
        List<com.fasterxml.jackson.databind.JsonNode> a = new java.util.ArrayList<>();
        List<com.fasterxml.jackson.databind.JsonNode> b = new java.util.ArrayList<>();
        findingA.forEach(a::add);
        findingB.forEach(b::add);
        TrainTestSupport.assertSameLines(a, b, 1e-6);
        TrainerTest.assertSameWeights(weights(reference), weights(run), 1e-6);
        assertEquals(List.of("checkpoint-30", "checkpoint-40"), Checkpoints.list(run).stream().map(p -> p.getFileName().toString()).toList(), "save_total_limit keeps the newest two");
    }

    /** The trained weights: the model's, or the adapter's tensors of a LoRA run. */
    private static Map<String, float[]> weights(Path dir) throws Exception {
        if (PeftAdapterIo.isAdapter(dir)) {
            Map<String, float[]> out = new LinkedHashMap<>();
            try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(PeftAdapterIo.WEIGHTS))) {
                for (TensorInfo t : f.tensors().values()) {
                    float[] v = new float[Math.toIntExact(t.elements())];
                    f.readFloats(t, 0, v, 0, v.length);
                    out.put(t.name(), v);
                }
            }
            return out;
        }
        try (NDManager m = OfflineEngine.newManager(); CausalLm lm = CausalLm.load(dir, m)) {
            Map<String, float[]> out = new LinkedHashMap<>();
            lm.parameters().forEach((k, v) -> out.put(k, v.toFloatArray()));
            return out;
        }
    }

    private static Process cli(Path log, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
                DgpoCli.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).directory(new File(".")).start();
    }
}
