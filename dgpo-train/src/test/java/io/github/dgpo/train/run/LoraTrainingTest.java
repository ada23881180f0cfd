package io.github.dgpo.train.run;

import static io.github.dgpo.train.run.TrainTestSupport.config;
import static io.github.dgpo.train.run.TrainTestSupport.load;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.dgpo.core.NoGradient;
import io.github.dgpo.core.OfflineEngine;
import io.github.dgpo.core.logprobs.SequenceLogprobs;
import io.github.dgpo.core.model.BaseDtype;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.model.LoraAdapters;
import io.github.dgpo.core.model.PeftAdapterIo;
import io.github.dgpo.core.safetensors.SafetensorsFile;
import io.github.dgpo.data.batch.PackedBatch;
import io.github.dgpo.data.batch.RowLayout;
import io.github.dgpo.data.tokenize.TokenizedPair;
import io.github.dgpo.train.config.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LoRA runs end to end: the reference of a LoRA DPO run is the base model (adapters off); a run
 * on a float16 base with checkpointing trains; the output and every checkpoint hold the adapter in
 * PEFT's format, and only the adapters change.
 */
class LoraTrainingTest {

    @TempDir
    Path tmp;

    private static final String[] LORA = {"use_peft: true", "lora_r: 4", "lora_alpha: 8", "lora_dropout: 0.1"};

    @Test
    void loraDpoReferenceLogProbabilitiesAreTheBaseModels() throws Exception {
        TrainConfig c = load(config(tmp, tmp.resolve("ref").toString(), concat(LORA, "loss_type: dpo")));
        List<TokenizedPair> pairs = randomPairs(6);
        PackedBatch batch = RowLayout.separate(0).pairs(pairs);
        try (NDManager root = OfflineEngine.newManager()) {
            CausalLm policy = RunModels.policy(c, Optional.empty(), root);
            CausalLm reference = RunModels.reference(c, policy, root);
            // a trained adapter: non-zero B
            Random r = new Random(5);
            for (LoraAdapters.Module m : policy.adapters().modules().values()) {
                float[] b = new float[Math.toIntExact(m.b().getShape().size())];
                for (int i = 0; i < b.length; i++) {
                    b[i] = (float) r.nextGaussian();
                }
                m.b().set(java.nio.FloatBuffer.wrap(b));
            }
            SequenceLogprobs logprobs = new SequenceLogprobs(c.logitsChunkSize);
            try (CausalLm base = CausalLm.random(RunModels.modelConfig(c, null), c.modelSeed, root); NoGradient off = NoGradient.enter();
                    NDManager m = root.newSubManager()) {
                float[] ref = logprobs.compute(reference, batch.input(), batch.targets(), m).sums();
                float[] expected = logprobs.compute(base, batch.input(), batch.targets(), m).sums();
                float[] adapted = logprobs.compute(policy, batch.input(), batch.targets(), m).sums();
                assertArrayEquals(expected, ref, "the reference is the base model, bit for bit");
                assertFalse(java.util.Arrays.equals(expected, adapted), "while the policy's adapters change its log-probabilities");
                assertEquals(0, reference.trainableParameters().values().stream().filter(a -> a.hasGradient()).count());
            }
        }

        Path run = tmp.resolve("lora-dpo");
        new Trainer(load(config(tmp, run.toString(), concat(LORA, "loss_type: dpo", "beta: 0.5", "max_steps: 12", "learning_rate: 0.003"))), Trainer.Mode.FRESH, null).run();
        List<JsonNode> lines = TrainTestSupport.trainingLines(run);
        assertEquals(0.0, lines.get(0).get("rewards/chosen").asDouble(), 1e-6, "step 1: policy (B = 0) and reference are the same base model");
        assertEquals(0.0, lines.get(0).get("rewards/margins").asDouble(), 1e-6);
        assertTrue(Math.abs(lines.get(11).get("rewards/margins").asDouble()) > 1e-4, "the adapters move the policy away from the reference");
    }

    @Test
    void aFloat16BaseWithCheckpointingTrainsItsAdaptersAndSavesThemInPeftFormat() throws Exception {
        Path run = tmp.resolve("lora-fp16");
        new Trainer(load(config(tmp, run.toString(), concat(LORA, "loss_type: dgpo", "max_steps: 24", "learning_rate: 0.01", "base_dtype: float16",
                "gradient_checkpointing: true", "save_steps: 12"))), Trainer.Mode.FRESH, null).run();
        List<JsonNode> lines = TrainTestSupport.trainingLines(run);
        assertEquals(24, lines.size());
        double first = lines.subList(0, 4).stream().mapToDouble(l -> l.get("loss").asDouble()).average().orElseThrow();
        double last = lines.subList(20, 24).stream().mapToDouble(l -> l.get("loss").asDouble()).average().orElseThrow();
        assertTrue(last < first, "loss falls: " + first + " -> " + last);
        for (Path dir : List.of(run, run.resolve("checkpoint-12"), run.resolve("checkpoint-24"))) {
            assertTrue(PeftAdapterIo.isAdapter(dir), dir.toString());
            assertFalse(Files.exists(dir.resolve("model.safetensors")), "no full model is written: " + dir);
        }
        try (SafetensorsFile f = SafetensorsFile.open(run.resolve(PeftAdapterIo.WEIGHTS))) {
            assertEquals(2 * 7, f.tensors().size(), "A and B of the seven projections of the one layer");
            assertTrue(f.tensors().containsKey("base_model.model.model.layers.0.mlp.down_proj.lora_B.weight"));
        }
        try (SafetensorsFile o = SafetensorsFile.open(run.resolve("checkpoint-24").resolve(Checkpoints.OPTIMIZER))) {
            assertEquals(2 * 14, o.tensors().size(), "optimizer moments of the adapters only");
        }
        TrainConfig c = load(config(tmp, run.toString(), concat(LORA, "base_dtype: float16")));
        try (NDManager root = OfflineEngine.newManager(); CausalLm base = CausalLm.random(RunModels.modelConfig(c, null), c.modelSeed, root, BaseDtype.FLOAT16);
                LoraAdapters trained = PeftAdapterIo.read(run, base.config(), root)) {
            float[] b = trained.modules().get("model.layers.0.mlp.down_proj").b().toFloatArray();
            assertTrue(max(b) > 1e-4, "B has trained away from zero");
            assertEquals(0.1, trained.config().dropout(), 1e-12);
        }
    }

    private static double max(float[] v) {
        double m = 0;
        for (float x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    static List<TokenizedPair> randomPairs(int n) {
        Random r = new Random(11);
        List<TokenizedPair> pairs = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            pairs.add(new TokenizedPair(ids(r, 3 + r.nextInt(6)), ids(r, 2 + r.nextInt(7)), ids(r, 1 + r.nextInt(8)), false, null));
        }
        return pairs;
    }

    private static long[] ids(Random r, int n) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = 3 + r.nextInt(31000);
        }
        return out;
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
