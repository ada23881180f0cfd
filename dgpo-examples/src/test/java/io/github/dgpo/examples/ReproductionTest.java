package io.github.dgpo.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.examples.repro.RunRecord;
import io.github.dgpo.examples.repro.Study;
import io.github.dgpo.train.run.PairChange;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reproduction study at {@code --scale tiny} (a few steps per run, one seed, one-layer
 * models): every stage runs, and what it leaves is there and sane.
 */
class ReproductionTest {

    @Test
    void tinyStudyRunsEveryStageAndReportsSaneNumbers(@TempDir Path tmp) throws Exception {
        Study.Result r = Reproduction.run("--scale", "tiny", "--output", tmp.toString());
        assertEquals(2, r.datasets().size());
        for (Study.DatasetResult d : r.datasets()) {
            String id = d.dataset().id();
            // SFT, 9 losses, and on the controlled task 3 more betas, 3 dgpo-kl terms, 2 control runs
            assertEquals(id.equals("controlled") ? 18 : 10, d.runs().size(), id);
            RunRecord sft = d.runs().get(0);
            assertEquals("sft", sft.group());
            assertEquals("rose", sft.change("chosen", false).orElseThrow().verdict(), id + ": SFT raises the chosen log-probability of its training pairs");
            if (id.equals("controlled")) {
                // HH-RLHF pairs share few tokens to begin with (Jaccard about 0.1), so shuffling hardly changes the measure there
                assertTrue(d.similarity().get("training, low similarity") < d.similarity().get("training") - 0.3, id + ": the control is less similar " + d.similarity());
            }
            assertTrue(d.sftTrain().weight().min() > 0 && d.sftTrain().weight().max() < 2, id + ": DGPO's weight e^a + e^b in (0, 2)");
            for (RunRecord x : d.runs()) {
                Path run = tmp.resolve(id).resolve(x.name());
                assertTrue(Files.exists(run.resolve("model.safetensors")) && Files.exists(run.resolve("repro-run.json")), x.name());
                assertTrue(x.command().startsWith("java -jar dgpo-train/target/dgpo.jar train --config configs/repro/" + id + "-"), x.command());
                assertEquals(4, x.finding().size(), x.name() + ": chosen and rejected, training probes and held-out");
                for (PairChange c : x.finding()) {
                    assertTrue(Double.isFinite(c.meanChange()) && c.low() <= c.meanChange() && c.meanChange() <= c.high(), x.name() + ": " + c.sentence());
                    assertTrue(c.before() < 0 && c.after() < 0, x.name() + ": per-token log-probabilities are negative");
                }
                assertTrue(x.wallSeconds() > 0 && x.cpuSeconds() > 0, x.name());
                if (!x.group().equals("sft")) {
                    assertEquals(d.dataset().id().equals("controlled") ? 16 : 4, x.heldOut().pairs());
                    for (double a : new double[] {x.heldOut().accuracySum(), x.heldOut().accuracyAverage(), x.heldOut().rewardAccuracy()}) {
                        assertTrue(a >= 0 && a <= 1, x.name() + ": accuracy " + a);
                    }
                }
            }
            assertEquals(Map.of("beta", 2.5), d.runs().stream().filter(x -> x.name().equals("dgpo-s42")).findFirst().orElseThrow().hyperparameters());
            assertEquals(Map.of("beta", 0.01), d.runs().stream().filter(x -> x.name().equals("dpo-s42")).findFirst().orElseThrow().hyperparameters(),
                    "Table 6 from configs/paper");
            for (String name : id.equals("controlled") ? List.of("dpo-s42", "dgpo-s42", "lowsim-dpo-s42", "lowsim-dgpo-s42") : List.of("dpo-s42", "dgpo-s42")) {
                List<JsonNode> lines = io.github.dgpo.train.run.MetricsLog.read(tmp.resolve(id).resolve(name));
                List<Double> cos = lines.stream().filter(l -> l.has("entanglement/cos")).map(l -> l.get("entanglement/cos").asDouble()).toList();
                assertEquals(2, cos.size(), name + ": the entanglement probe at both steps");
                cos.forEach(c -> assertTrue(c >= -1 && c <= 1, name + ": cosine " + c));
            }
        }
        Study.DatasetResult controlled = r.datasets().get(0);
        assertEquals(2, controlled.bench().size(), "DPO and DGPO, once each");
        controlled.bench().forEach(m -> assertTrue(m.secondsPerStep() > 0 && m.peakRssMb() > 100, m.toString()));
        assertTrue(r.datasets().get(1).bench().isEmpty(), "no HH-RLHF benchmark at the tiny scale");

        assertEquals(14, r.charts().size());
        for (Path png : r.charts()) {
            assertTrue(Files.size(png) > 10_000, png + " is drawn");
        }
        String summary = Files.readString(r.summary());
        for (String heading : List.of("### Controlled task", "### HH-RLHF", "#### (1) Nine losses", "#### (2) DGPO's β", "#### (3) `dgpo-kl`", "#### (4) DGPO against DPO",
                "#### (5) Gradient entanglement", "### Cost", "### Every run")) {
            assertTrue(summary.contains(heading), heading);
        }
        assertTrue(summary.contains("| slic-hf | beta 1.0, lambda 1.0, delta 1.0 |"), "Table 6 hyperparameters in the loss table");
        assertTrue(summary.contains("](plots/controlled-figures-1-2.png)"), "charts linked relative to the summary");
        assertTrue(!summary.contains("NaN"), "no NaN in the summary");
        JsonNode study = new ObjectMapper().readTree(tmp.resolve("study.json").toFile());
        assertEquals(28, study.path("datasets").get(0).path("runs").size() + study.path("datasets").get(1).path("runs").size());
        assertTrue(Files.exists(tmp.resolve("data/controlled-train-lowsim.jsonl")) && Files.exists(tmp.resolve("data/hh-eval.jsonl")));

        // --reuse takes every run back (nothing retrains) and says so, so its report's times are not read as the study's
        Study.Result again = Reproduction.run("--scale", "tiny", "--output", tmp.toString(), "--dataset", "controlled", "--reuse");
        List<RunRecord> first = r.datasets().get(0).runs();
        List<RunRecord> second = again.datasets().get(0).runs();
        assertEquals(first.size(), second.size());
        for (int i = 0; i < first.size(); i++) {
            assertEquals(first.get(i).wallSeconds(), second.get(i).wallSeconds(), 0.0, first.get(i).name() + " taken back as it was");
        }
        assertTrue(Files.readString(again.summary()).contains(first.size() + " runs were taken back from earlier processes (`--reuse`)"));
    }
}
