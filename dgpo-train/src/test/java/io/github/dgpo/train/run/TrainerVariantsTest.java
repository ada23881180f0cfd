package io.github.dgpo.train.run;

import static io.github.dgpo.train.run.TrainTestSupport.config;
import static io.github.dgpo.train.run.TrainTestSupport.load;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loss mixtures, WPO, LD-DPO, TR-DPO and stateful losses through the trainer: what each adds is
 * computed, reported and resumed.
 */
class TrainerVariantsTest {

    @TempDir
    Path tmp;

    private Path train(String name, String... settings) throws Exception {
        Path out = tmp.resolve(name);
        new Trainer(load(config(tmp, out.toString(), "max_steps: 4"), settings), Trainer.Mode.FRESH, null).run();
        return out;
    }

    @Test
    void rpoMixtureReportsEachTermAndTheTotal() throws Exception {
        List<JsonNode> lines = TrainTestSupport.trainingLines(train("rpo", "loss_type=[dpo, sft]", "loss_weights=[1.0, 0.5]", "beta=0.5"));
        JsonNode first = lines.get(0);
        double total = first.get("loss").asDouble();
        assertEquals(first.get("loss/dpo").asDouble() + 0.5 * first.get("loss/sft").asDouble(), total, 1e-5, "loss = dpo + 0.5 sft");
        assertEquals(Math.log(2), first.get("loss/dpo").asDouble(), 1e-5, "policy = reference at step 1");
        assertEquals(-first.get("logps_avg/chosen").asDouble(), first.get("loss/sft").asDouble(), 1e-5, "the SFT term is the chosen NLL");
    }

    @Test
    void wpoWeightsArePairProbabilitiesAndLdAlphaWeighsTheTail() throws Exception {
        JsonNode wpo = TrainTestSupport.trainingLines(train("wpo", "loss_type=dpo", "use_weighting=true")).get(0);
        double w = wpo.get("wpo/weight").asDouble();
        assertTrue(w > 0 && w < 1, "a product of two probabilities: " + w);

        Path cache = tmp.resolve("cache");
        String[] precomputed = {"loss_type=dpo", "precompute_ref_log_probs=true", "ref_cache_dir=" + cache};
        List<JsonNode> plain = TrainTestSupport.trainingLines(train("plain", precomputed));
        List<JsonNode> one = TrainTestSupport.trainingLines(train("ld-one", concat(precomputed, "ld_alpha=1.0")));
        TrainTestSupport.assertSameLines(plain, one, 1e-6);
        List<JsonNode> half = TrainTestSupport.trainingLines(train("ld-half", concat(precomputed, "ld_alpha=0.5")));
        assertTrue(half.get(0).get("logps/chosen").asDouble() > plain.get(0).get("logps/chosen").asDouble(), "the tail weighs half: sums less negative");
        assertEquals(0.0, half.get(0).get("rewards/margins").asDouble(), 1e-4, "policy and the (LD-weighted) reference agree at step 1");
        try (Stream<Path> files = Files.list(cache)) {
            assertEquals(2, files.count(), "ld_alpha 0.5 has its own reference cache; 1.0 is no weighting");
        }
    }

    @Test
    void trDpoMovesTheReferenceToThePolicy() throws Exception {
        List<JsonNode> synced = TrainTestSupport.trainingLines(train("tr", "loss_type=dpo", "beta=0.5", "sync_ref_model=true", "ref_model_mixup_alpha=1.0",
                "ref_model_sync_steps=1"));
        for (JsonNode l : synced) {
            assertEquals(0.0, l.get("rewards/margins").asDouble(), 1e-5, "with alpha 1 every step starts with reference = policy");
        }
        List<JsonNode> fixed = TrainTestSupport.trainingLines(train("fixed", "loss_type=dpo", "beta=0.5"));
        assertTrue(Math.abs(fixed.get(3).get("rewards/margins").asDouble()) > 1e-4, "without syncing the policy moves away from the reference");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> train("tr-pre", "loss_type=dpo", "sync_ref_model=true", "precompute_ref_log_probs=true"));
        assertTrue(e.getMessage().contains("sync_ref_model (TR-DPO) moves a live reference model"), e.getMessage());
    }

    @Test
    void aStatefulLossResumesExactly() throws Exception {
        String[] settings = {"loss_type=[dpo, bco-pair]", "beta=0.2", "bco_running_mean=true", "save_steps=2", "eval_fraction=0.25", "eval_steps=2"};
        Path full = train("full", settings);
        Path resumed = tmp.resolve("resumed");
        copy(full, resumed);
        Checkpoints.deleteTree(resumed.resolve("checkpoint-4"));
        new Trainer(load(config(tmp, resumed.toString(), "max_steps: 4"), settings), Trainer.Mode.RESUME, null).run();
        TrainTestSupport.assertSameLines(TrainTestSupport.trainingLines(full), TrainTestSupport.trainingLines(resumed), 1e-6);
        JsonNode state = new com.fasterxml.jackson.databind.ObjectMapper().readTree(full.resolve("checkpoint-2").resolve(Checkpoints.STATE).toFile());
        assertTrue(state.get("loss_state").has("bco-pair/mean"), state.toString());
    }

    private static String[] concat(String[] a, String... b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }

    private static void copy(Path from, Path to) throws Exception {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
