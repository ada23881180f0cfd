package io.github.dgpo.train.run;

import static io.github.dgpo.train.run.TrainTestSupport.config;
import static io.github.dgpo.train.run.TrainTestSupport.load;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.dgpo.core.OfflineEngine;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.data.DataFormat;
import io.github.dgpo.data.Datasets;
import io.github.dgpo.data.tokenize.PairTokenizer;
import io.github.dgpo.data.tokenize.TokenizeOptions;
import io.github.dgpo.data.tokenize.TokenizedPair;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer end to end on a tiny random model and the test pairs. */
class TrainerTest {

    @TempDir
    Path tmp;

    private static Map<String, float[]> weights(Path modelDir) throws IOException {
        try (NDManager m = OfflineEngine.newManager(); CausalLm lm = CausalLm.load(modelDir, m)) {
            Map<String, float[]> out = new java.util.LinkedHashMap<>();
            lm.parameters().forEach((k, v) -> out.put(k, v.toFloatArray()));
            return out;
        }
    }

    static void assertSameWeights(Map<String, float[]> a, Map<String, float[]> b, double rel) {
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            float[] x = a.get(k);
            float[] y = b.get(k);
            double scale = 0;
            double diff = 0;
            for (int i = 0; i < x.length; i++) {
                scale = Math.max(scale, Math.abs(x[i]));
                diff = Math.max(diff, Math.abs(x[i] - y[i]));
            }
            assertTrue(diff <= rel * scale, k + ": max difference " + diff + " vs scale " + scale);
        }
    }

    /**
     * Four micro-batches of two pairs accumulated equal one batch of eight, over two optimizer
     * steps with gradient clipping active (one AdamW step would hide a wrong gradient scale: its
     * first update is the gradient's sign).
     */
    @Test
    void accumulatingMicroBatchesEqualsOneLargeBatch() throws Exception {
        Path a = tmp.resolve("accumulated");
        Path b = tmp.resolve("large");
        String[] common = {"loss_type: dgpo", "max_steps: 2", "group_by_length: false", "max_grad_norm: 0.0001"};
        new Trainer(load(config(tmp, a.toString(), common), "per_device_train_batch_size=2", "gradient_accumulation_steps=4"), Trainer.Mode.FRESH, null).run();
        new Trainer(load(config(tmp, b.toString(), common), "per_device_train_batch_size=8", "gradient_accumulation_steps=1"), Trainer.Mode.FRESH, null).run();
        Map<String, float[]> wa = weights(a);
        Map<String, float[]> wb = weights(b);
        assertSameWeights(wa, wb, 1e-5);
        List<JsonNode> la = TrainTestSupport.trainingLines(a);
        TrainTestSupport.assertSameLines(la, TrainTestSupport.trainingLines(b), 1e-5);
        for (JsonNode line : la) {
            assertTrue(line.get("grad_norm").asDouble() > 0.0001, "clipping is active: norm " + line.get("grad_norm"));
        }
        Path fresh = tmp.resolve("untrained");
        new Trainer(load(config(tmp, fresh.toString(), common), "max_steps=1", "learning_rate=1e-12"), Trainer.Mode.FRESH, null).run();
        assertThrows(AssertionError.class, () -> assertSameWeights(weights(fresh), wa, 1e-5), "the steps must have changed the weights");
        Path unclipped = tmp.resolve("unclipped");
        new Trainer(load(config(tmp, unclipped.toString(), common), "per_device_train_batch_size=8", "gradient_accumulation_steps=1", "max_grad_norm=0"),
                Trainer.Mode.FRESH, null).run();
        assertThrows(AssertionError.class, () -> assertSameWeights(weights(unclipped), wb, 1e-5), "clipping changed the second update");
    }

    @Test
    void dgpoTrainsAndLeavesMetricsPlotsAndAModelThatScoresIdentically() throws Exception {
        Path run = tmp.resolve("dgpo");
        Trainer.Result r = new Trainer(load(config(tmp, run.toString(), "loss_type: dgpo", "max_steps: 32", "eval_fraction: 0.25", "eval_steps: 16", "plots: true", "save_steps: 16")),
                Trainer.Mode.FRESH, null).run();
        assertEquals(32, r.steps());
        List<JsonNode> lines = MetricsLog.read(run).stream().filter(l -> l.has("loss")).toList();
        assertEquals(32, lines.size());
        for (String key : List.of("loss", "rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected",
                "logps_avg/chosen", "logps_avg/rejected", "d_w", "d_l", "d_w/d_l", "grad_norm", "learning_rate", "tokens_per_second", "peak_rss_mb", "step", "epoch")) {
            assertTrue(lines.get(0).has(key), "metric " + key);
        }
        double firstLoss = avg(lines.subList(0, 4), "loss");
        double lastLoss = avg(lines.subList(28, 32), "loss");
        assertTrue(lastLoss < firstLoss, "loss falls: " + firstLoss + " -> " + lastLoss);
        assertTrue(avg(lines.subList(28, 32), "rewards/accuracies") > 0.5, "training-pair accuracy ends above 0.5");
        for (String png : List.of("logps.png", "margins.png", "accuracy.png", "loss.png", "dw_dl.png")) {
            assertTrue(Files.size(run.resolve("plots").resolve(png)) > 1000, png);
        }
        assertTrue(Files.exists(run.resolve("run_config.yaml")) && Files.exists(run.resolve("run_info.json")));
        assertTrue(Files.exists(run.resolve("checkpoint-32/trainer_state.json")));

        List<JsonNode> probes = MetricsLog.read(run).stream().filter(l -> l.has("probe/pairs")).toList();
        assertEquals(List.of(0, 16, 32), probes.stream().map(l -> l.get("step").asInt()).toList(), "probe pairs scored at step 0 and every eval_steps");
        assertEquals(18, probes.get(0).get("probe/pairs").asInt(), "probe_pairs 64 capped at the 18 training pairs");
        List<JsonNode> evals = MetricsLog.read(run).stream().filter(l -> l.has("eval_loss")).toList();
        assertEquals(List.of(0, 16, 32), evals.stream().map(l -> l.get("step").asInt()).toList(), "held-out pairs evaluated at step 0 too");
        assertEquals(4, r.finding().size());
        PairChange chosen = r.chosenChange().orElseThrow();
        assertTrue(chosen.what().contains("held-out"), chosen.what());
        assertEquals(evals.get(0).get("eval_logps_avg/chosen").asDouble(), chosen.before(), 1e-9, "the finding starts from step 0's evaluation");
        assertEquals(evals.get(2).get("eval_logps_avg/chosen").asDouble(), chosen.after(), 1e-9);
        assertEquals(chosen.after() - chosen.before(), chosen.meanChange(), 1e-9, "mean of paired changes = change of means");
        assertTrue(chosen.low() <= chosen.meanChange() && chosen.meanChange() <= chosen.high());
        JsonNode finding = new com.fasterxml.jackson.databind.ObjectMapper().readTree(run.resolve("run_info.json").toFile()).get("finding");
        assertEquals(chosen.verdict(), finding.get(2).get("verdict").asText());
        JsonNode lastEval = MetricsLog.read(run).stream().filter(l -> l.has("eval_loss")).reduce((x, y) -> y).orElseThrow();
        assertEquals(32, lastEval.get("step").asInt());
        Evaluator.Result reloaded;
        try (PairTokenizer t = PairTokenizer.fromFolder(TrainTestSupport.repo("tokenizers/mistral"), new TokenizeOptions(64, 0));
                NDManager m = OfflineEngine.newManager(); CausalLm lm = CausalLm.load(run, m)) {
            List<TokenizedPair> all = t.tokenizeAll(Datasets.readPairs(Datasets.Spec.of(DataFormat.JSONL, TrainTestSupport.pairs())).examples(),
                    new io.github.dgpo.data.ReadReport(false));
            List<TokenizedPair> shuffled = new java.util.ArrayList<>(all);
            java.util.Collections.shuffle(shuffled, new java.util.Random(42));
            reloaded = Evaluator.evaluate(lm, null, shuffled.subList(0, 6), t.padId(), 4, 32, m);
        }
        assertEquals(lastEval.get("eval_logps/chosen").asDouble(), reloaded.chosenLogps(), 1e-4 * Math.abs(reloaded.chosenLogps()), "saved model scores as the trained one");
        assertEquals(lastEval.get("eval_logps/rejected").asDouble(), reloaded.rejectedLogps(), 1e-4 * Math.abs(reloaded.rejectedLogps()));
    }

    @Test
    void dpoWithPrecomputedReferenceTrainsAndReusesItsCache() throws Exception {
        Path cache = tmp.resolve("cache");
        Path run = tmp.resolve("dpo");
        String[] extra = {"loss_type: dpo", "beta: 0.5", "max_steps: 30", "precompute_ref_log_probs: true", "ref_cache_dir: " + cache};
        new Trainer(load(config(tmp, run.toString(), extra)), Trainer.Mode.FRESH, null).run();
        List<JsonNode> lines = TrainTestSupport.trainingLines(run);
        assertEquals(30, lines.size());
        assertEquals(0.0, lines.get(0).get("rewards/margins").asDouble(), 1e-4, "policy equals reference at the first step (float32, other padding)");
        assertTrue(avg(lines.subList(26, 30), "loss") < avg(lines.subList(0, 4), "loss"));
        assertTrue(avg(lines.subList(26, 30), "rewards/accuracies") > 0.5);
        Path cached;
        try (Stream<Path> s = Files.list(cache)) {
            List<Path> files = s.toList();
            assertEquals(1, files.size());
            cached = files.get(0);
        }
        long modified = Files.getLastModifiedTime(cached).toMillis();
        new Trainer(load(config(tmp, run.toString(), extra)), Trainer.Mode.OVERWRITE, null).run();
        assertEquals(modified, Files.getLastModifiedTime(cached).toMillis(), "the rerun reuses the cache");
        TrainTestSupport.assertSameLines(lines, TrainTestSupport.trainingLines(run), 1e-6);
    }

    @Test
    void ktoTrainsOnItsUnpairedFormAndOnPairs() throws Exception {
        Path unpaired = tmp.resolve("kto.jsonl");
        List<String> rows = new java.util.ArrayList<>();
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (String line : Files.readAllLines(TrainTestSupport.pairs())) {
            JsonNode p = json.readTree(line);
            rows.add(json.writeValueAsString(Map.of("prompt", p.get("prompt").asText(), "completion", p.get("chosen").asText(), "label", true)));
            rows.add(json.writeValueAsString(Map.of("prompt", p.get("prompt").asText(), "completion", p.get("rejected").asText(), "label", false)));
        }
        Files.write(unpaired, rows);
        Path run = tmp.resolve("kto-unpaired");
        new Trainer(load(config(tmp, run.toString(), "loss_type: kto", "beta: 0.5", "max_steps: 30", "eval_fraction: 0.125"),
                "dataset_path=" + unpaired, "dataset_format=kto", "learning_rate=0.003"),
                Trainer.Mode.FRESH, null).run();
        List<JsonNode> lines = TrainTestSupport.trainingLines(run);
        assertEquals(30, lines.size());
        assertTrue(lines.get(0).has("kl") && lines.get(0).has("count/desirable"));
        assertEquals(0.5, lines.get(0).get("loss").asDouble(), 1e-6, "policy = reference, z0 = 0: each term is 1 - sigma(0)");
        assertTrue(avg(lines.subList(24, 30), "loss") < avg(lines.subList(0, 6), "loss"), "the unpaired KTO loss falls");
        assertTrue(MetricsLog.read(run).stream().anyMatch(l -> l.has("eval_loss")));

        Path paired = tmp.resolve("kto-paired");
        new Trainer(load(config(tmp, paired.toString(), "loss_type: kto", "beta: 0.5", "max_steps: 6")), Trainer.Mode.FRESH, null).run();
        assertTrue(TrainTestSupport.trainingLines(paired).get(5).get("kl").asDouble() >= 0, "z0 from mismatched pairs");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> load(config(tmp, tmp.resolve("x").toString(), "loss_type: dpo"), "dataset_format=kto"))
                .getMessage().contains("dataset_format kto holds unpaired examples, and loss_type dpo has no unpaired form"));
    }

    @Test
    void nonFiniteStepsAreSkippedCountedAndStopTheRunWhenTheyPersist() throws Exception {
        Path run = tmp.resolve("nan");
        Trainer.Result r = new Trainer(load(config(tmp, run.toString(), "loss_type: simpo", "max_steps: 8")), Trainer.Mode.FRESH, null)
                .withPoisonedSteps(s -> s == 3 || s == 4).run();
        assertEquals(2, r.skippedSteps());
        assertEquals(2, MetricsLog.read(run).get(7).get("skipped_steps").asInt());
        Path stop = tmp.resolve("nan-stop");
        TrainingAbortedException e = assertThrows(TrainingAbortedException.class,
                () -> new Trainer(load(config(tmp, stop.toString(), "loss_type: simpo", "max_steps: 20", "save_steps: 4", "max_consecutive_bad_steps: 3")), Trainer.Mode.FRESH, null)
                        .withPoisonedSteps(s -> s >= 6).run());
        assertTrue(e.getMessage().contains("3 consecutive steps with a non-finite loss or gradient"), e.getMessage());
        assertTrue(e.getMessage().contains("checkpoint-4"), e.getMessage());
        assertTrue(Files.exists(stop.resolve("checkpoint-4/model.safetensors")), "the last good checkpoint is intact");
    }

    @Test
    void refusesBadSetupsBeforeTraining() throws Exception {
        Path run = tmp.resolve("setup");
        new Trainer(load(config(tmp, run.toString(), "max_steps: 1")), Trainer.Mode.FRESH, null).run();
        IllegalArgumentException exists = assertThrows(IllegalArgumentException.class,
                () -> new Trainer(load(config(tmp, run.toString(), "max_steps: 1")), Trainer.Mode.FRESH, null).run());
        assertTrue(exists.getMessage().contains("already holds a run; use --resume to continue it or --overwrite to replace it"), exists.getMessage());

        Path cfg = config(tmp, tmp.resolve("m").toString(), "max_steps: 1");
        String text = Files.readString(cfg).replaceAll("random_model: .*\\n", "model_name_or_path: " + tmp.resolve("no-such-model") + "\n");
        Files.writeString(cfg, text);
        IllegalArgumentException model = assertThrows(IllegalArgumentException.class, () -> new Trainer(load(cfg), Trainer.Mode.FRESH, null).run());
        assertTrue(model.getMessage().contains("model folder does not exist"), model.getMessage());

        Path empty = tmp.resolve("empty.jsonl");
        Files.writeString(empty, "{\"prompt\": \"a\", \"chosen\": \"same\", \"rejected\": \"same\"}\n");
        IllegalArgumentException data = assertThrows(IllegalArgumentException.class,
                () -> new Trainer(load(config(tmp, tmp.resolve("e").toString(), "max_steps: 1"), "dataset_path=" + empty), Trainer.Mode.FRESH, null).run());
        assertTrue(data.getMessage().contains("no training pairs left after reading and filtering"), data.getMessage());
        assertFalse(Files.exists(tmp.resolve("e/checkpoint-1")));
    }

    private static double avg(List<JsonNode> lines, String key) {
        return lines.stream().mapToDouble(l -> l.get(key).asDouble()).average().orElseThrow();
    }

}
