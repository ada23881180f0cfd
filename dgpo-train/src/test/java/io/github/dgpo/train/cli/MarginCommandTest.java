package io.github.dgpo.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.train.TestRepo;
import io.github.dgpo.losses.DgpoLoss;
import io.github.dgpo.losses.PreferenceLosses;
import io.github.dgpo.train.plot.MarginHeatmap;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dgpo margin}: values against an independent computation, and every input error. */
class MarginCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static TestRepo.Run run(String... args) {
        return TestRepo.cli(args);
    }

    private Path input(String... lines) throws Exception {
        Path p = dir.resolve("pairs.jsonl");
        Files.write(p, List.of(lines), StandardCharsets.UTF_8);
        return p;
    }

    private static double logOnePlusExp(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    /** RPO as a mixture (DPO + 0.5·SFT) and WPO weights from alignment columns, against plain arithmetic. */
    @Test
    void mixturesAndWpoWeightsThroughTheCommandLine() throws Exception {
        Path in = input("{\"chosen_logp_sum\": -6, \"rejected_logp_sum\": -9, \"chosen_tokens\": 3, \"rejected_tokens\": 4,"
                + " \"ref_chosen_logp_sum\": -7, \"ref_rejected_logp_sum\": -8, \"chosen_alignment\": -1.5, \"rejected_alignment\": -2.0}");
        TestRepo.Run r = run("margin", "--loss", "dpo,sft", "--loss-weights", "1,0.5", "--param", "beta=0.1", "--input", in.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode line = JSON.readTree(r.out().trim());
        double z = 0.1 * ((-6 + 7) - (-9 + 8));
        double dpo = logOnePlusExp(-z);
        assertEquals(dpo + 0.5 * 2.0, line.get("loss").asDouble(), 1e-12, "DPO + 0.5 x the chosen NLL (6/3)");
        double s = 1 / (1 + Math.exp(z));
        assertEquals(0.1 * s + 0.5 / 3, line.get("d_w").asDouble(), 1e-12);
        TestRepo.Run wpo = run("margin", "--loss", "dpo", "--param", "beta=0.1", "--param", "use_weighting=true", "--input", in.toString());
        assertEquals(0, wpo.code(), wpo.err());
        double weight = Math.exp(-1.5 / 3) * Math.exp(-2.0 / 4);
        assertEquals(weight * dpo, JSON.readTree(wpo.out().trim()).get("loss").asDouble(), 1e-12, "the pair weighs exp(mean aligned logp) of both completions");
        TestRepo.Run missing = run("margin", "--loss", "dpo", "--param", "use_weighting=true", "--input", input("{\"chosen_logp_sum\": -6, \"rejected_logp_sum\": -9,"
                + " \"chosen_tokens\": 3, \"rejected_tokens\": 4, \"ref_chosen_logp_sum\": -7, \"ref_rejected_logp_sum\": -8}").toString());
        assertTrue(missing.err().contains(":1: field 'chosen_alignment' is missing"), missing.err());
    }

    /** DPO, β = 0.1, computed here in plain double arithmetic from the spec's formulas. */
    @Test
    void dpoLinesCarryLossGradientsAndMarginComputedIndependently() throws Exception {
        Path in = input(
                "{\"id\": 7, \"chosen_logp_sum\": -12.5, \"rejected_logp_sum\": -20, \"chosen_tokens\": 10, \"rejected_tokens\": 12,"
                        + " \"ref_chosen_logp_sum\": -13, \"ref_rejected_logp_sum\": -19}",
                "",
                "{\"chosen_logp_sum\": -3, \"rejected_logp_sum\": -2, \"chosen_tokens\": 3, \"rejected_tokens\": 2,"
                        + " \"ref_chosen_logp_sum\": -3, \"ref_rejected_logp_sum\": -2.5}");
        Path out = dir.resolve("out.jsonl");
        TestRepo.Run r = run("margin", "--loss", "dpo", "--param", "beta=0.1", "--input", in.toString(), "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = Files.readAllLines(out);
        assertEquals(2, lines.size());
        double[][] expected = {{-12.5, -20, -13, -19}, {-3, -2, -3, -2.5}};
        for (int i = 0; i < 2; i++) {
            JsonNode o = JSON.readTree(lines.get(i));
            double[] e = expected[i];
            double z = 0.1 * ((e[0] - e[2]) - (e[1] - e[3]));
            double s = 1 / (1 + Math.exp(z));
            assertEquals(logOnePlusExp(-z), o.get("loss").asDouble(), 1e-12);
            assertEquals(0.1 * s, o.get("d_w").asDouble(), 1e-12);
            assertEquals(0.1 * s, o.get("d_l").asDouble(), 1e-12);
            assertEquals(z, o.get("margin").asDouble(), 1e-12);
            assertEquals(e[0], o.get("chosen_logp_sum").asDouble());
        }
        assertEquals(7, JSON.readTree(lines.get(0)).get("id").asInt(), "input fields are kept");
        assertTrue(lines.get(0).startsWith("{\"id\":7,\"chosen_logp_sum\""), "input field order is kept");
    }

    /** DGPO on averages (β = 2.5) to stdout; d_w is with respect to the sum, so divided by n. */
    @Test
    void dgpoToStdoutNeedsNoReference() throws Exception {
        Path in = input("{\"chosen_logp_sum\": -1, \"rejected_logp_sum\": -4, \"chosen_tokens\": 2, \"rejected_tokens\": 4}");
        TestRepo.Run r = run("margin", "--loss", "dgpo", "--input", in.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode o = JSON.readTree(r.out().strip());
        double a = -0.5;
        double b = -1;
        double z = 2.5 * (Math.exp(a) + Math.exp(b)) * (a - b);
        double s = 1 / (1 + Math.exp(z));
        assertEquals(logOnePlusExp(-z), o.get("loss").asDouble(), 1e-12);
        assertEquals(2.5 * s * ((a - b + 1) * Math.exp(a) + Math.exp(b)) / 2, o.get("d_w").asDouble(), 1e-12);
        assertEquals(2.5 * s * (Math.exp(a) + Math.exp(b) - (a - b) * Math.exp(b)) / 4, o.get("d_l").asDouble(), 1e-12);
    }

    @Test
    void ktoTakesZ0AsAParam() throws Exception {
        Path in = input("{\"chosen_logp_sum\": -10, \"rejected_logp_sum\": -20, \"chosen_tokens\": 3, \"rejected_tokens\": 4,"
                + " \"ref_chosen_logp_sum\": -12, \"ref_rejected_logp_sum\": -18}");
        TestRepo.Run r = run("margin", "--loss", "kto", "--param", "z0=0.5", "--input", in.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(0.9900003958114076, JSON.readTree(r.out().strip()).get("loss").asDouble(), 1e-12);
        TestRepo.Run noZ0 = run("margin", "--loss", "kto", "--input", in.toString());
        assertEquals(0, noZ0.code());
        assertTrue(noZ0.err().contains("z0=0.0"), noZ0.err());
    }

    /**
     * AOT sorts within the batch, so all 9000 lines (more than the 8192 of a per-pair block) are one
     * batch: the line attributed to rank k has z = β(x_(k) - y_(k)) over the whole file (x = S_w -
     * S_l, y = R_w - R_l), loss -log σ(z), d_w = d_l = βσ(-z) (= -B·∂L/∂S_w), computed here by
     * sorting in plain double arithmetic.
     */
    @Test
    void batchDependentLossesTakeAllLinesAsOneBatch() throws Exception {
        int n = 9000;
        java.util.Random random = new java.util.Random(3);
        double[][] rows = new double[n][];
        String[] lines = new String[n];
        for (int i = 0; i < n; i++) {
            double sw = -1 - 50 * random.nextDouble();
            double sl = -1 - 50 * random.nextDouble();
            double rw = -1 - 50 * random.nextDouble();
            double rl = -1 - 50 * random.nextDouble();
            rows[i] = new double[] {sw - sl, rw - rl};
            lines[i] = String.format(java.util.Locale.ROOT, "{\"chosen_logp_sum\": %.17g, \"rejected_logp_sum\": %.17g, \"chosen_tokens\": 5,"
                    + " \"rejected_tokens\": 7, \"ref_chosen_logp_sum\": %.17g, \"ref_rejected_logp_sum\": %.17g}", sw, sl, rw, rl);
        }
        Path in = input(lines);
        Path out = dir.resolve("aot.jsonl");
        TestRepo.Run r = run("margin", "--loss", "aot", "--param", "beta=0.2", "--input", in.toString(), "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        Integer[] byX = new Integer[n];
        double[] ySorted = new double[n];
        for (int i = 0; i < n; i++) {
            byX[i] = i;
            ySorted[i] = rows[i][1];
        }
        java.util.Arrays.sort(byX, (a, b) -> Double.compare(rows[a][0], rows[b][0]));
        java.util.Arrays.sort(ySorted);
        List<String> written = Files.readAllLines(out);
        assertEquals(n, written.size());
        for (int k = 0; k < n; k++) {
            int i = byX[k];
            double z = 0.2 * (rows[i][0] - ySorted[k]);
            JsonNode o = JSON.readTree(written.get(i));
            assertEquals(z, o.get("margin").asDouble(), 1e-9, "line " + i);
            assertEquals(logOnePlusExp(-z), o.get("loss").asDouble(), 1e-9, "line " + i);
            assertEquals(0.2 / (1 + Math.exp(z)), o.get("d_w").asDouble(), 1e-9, "line " + i);
            assertEquals(0.2 / (1 + Math.exp(z)), o.get("d_l").asDouble(), 1e-9, "line " + i);
        }
    }

    @Test
    void everyBadLineNamesItsLineAndFieldAndLeavesNoOutput() throws Exception {
        String ok = "{\"chosen_logp_sum\": -1, \"rejected_logp_sum\": -2, \"chosen_tokens\": 1, \"rejected_tokens\": 1}";
        Map<String, String> cases = Map.of(
                "{\"chosen_logp_sum\": -1, \"rejected_logp_sum\": -2, \"chosen_tokens\": 1",
                "pairs.jsonl:3: malformed JSON",
                "{\"chosen_logp_sum\": -1, \"chosen_tokens\": 1, \"rejected_tokens\": 1}",
                "pairs.jsonl:3: field 'rejected_logp_sum' is missing",
                "{\"chosen_logp_sum\": NaN, \"rejected_logp_sum\": -2, \"chosen_tokens\": 1, \"rejected_tokens\": 1}",
                "pairs.jsonl:3: field 'chosen_logp_sum' is not finite (NaN)",
                "{\"chosen_logp_sum\": -1, \"rejected_logp_sum\": -1e999, \"chosen_tokens\": 1, \"rejected_tokens\": 1}",
                "pairs.jsonl:3: field 'rejected_logp_sum' is not finite",
                "{\"chosen_logp_sum\": -1, \"rejected_logp_sum\": -2, \"chosen_tokens\": 0, \"rejected_tokens\": 1}",
                "pairs.jsonl:3: field 'chosen_tokens' must be a whole number >= 1, got 0",
                "{\"chosen_logp_sum\": -1, \"rejected_logp_sum\": -2, \"chosen_tokens\": 1, \"rejected_tokens\": 1.5}",
                "pairs.jsonl:3: field 'rejected_tokens' must be a whole number >= 1, got 1.5",
                "{\"chosen_logp_sum\": \"-1\", \"rejected_logp_sum\": -2, \"chosen_tokens\": 1, \"rejected_tokens\": 1}",
                "pairs.jsonl:3: field 'chosen_logp_sum' must be a number, got \"-1\"",
                "{\"chosen_logp_sum\": 0.5, \"rejected_logp_sum\": -2, \"chosen_tokens\": 1, \"rejected_tokens\": 1}",
                "pairs.jsonl:3: field 'chosen_logp_sum' is a log-probability sum and must be <= 0, got 0.5",
                "[1, 2]",
                "pairs.jsonl:3: expected a JSON object, got array");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Path in = input(ok, ok, c.getKey(), ok);
            Path out = dir.resolve("out.jsonl");
            Files.deleteIfExists(out);
            TestRepo.Run r = run("margin", "--loss", "simpo", "--input", in.toString(), "--output", out.toString());
            assertEquals(DgpoCli.USER_ERROR, r.code(), c.getKey());
            assertTrue(r.err().contains(c.getValue()), () -> "expected '" + c.getValue() + "' in: " + r.err());
            assertFalse(Files.exists(out), "a failed run must leave no output file");
            try (var files = Files.list(dir)) {
                assertEquals(1, files.count(), "no temporary file left behind");
            }
            TestRepo.Run toStdout = run("margin", "--loss", "simpo", "--input", in.toString());
            assertEquals("", toStdout.out(), "nothing on stdout when a line is bad");
        }
    }

    @Test
    void referenceFieldsAreRequiredOnlyByReferenceLosses() throws Exception {
        Path in = input("{\"chosen_logp_sum\": -1, \"rejected_logp_sum\": -2, \"chosen_tokens\": 1, \"rejected_tokens\": 1}");
        TestRepo.Run dpo = run("margin", "--loss", "dpo", "--input", in.toString());
        assertEquals(DgpoCli.USER_ERROR, dpo.code());
        assertTrue(dpo.err().contains("pairs.jsonl:1: field 'ref_chosen_logp_sum' is missing"), dpo.err());
        assertEquals(0, run("margin", "--loss", "dpo", "--param", "reference_free=true", "--input", in.toString()).code());
    }

    @Test
    void badLossOrParamOrFileIsAClearError() throws Exception {
        Path in = input("{\"chosen_logp_sum\": -1, \"rejected_logp_sum\": -2, \"chosen_tokens\": 1, \"rejected_tokens\": 1}");
        TestRepo.Run unknown = run("margin", "--loss", "dgpo2", "--input", in.toString());
        assertEquals(DgpoCli.USER_ERROR, unknown.code());
        assertTrue(unknown.err().contains("unknown loss 'dgpo2'; valid: dgpo, dpo"), unknown.err());
        TestRepo.Run param = run("margin", "--loss", "dgpo", "--param", "tau=1", "--input", in.toString());
        assertTrue(param.err().contains("unknown hyperparameter tau for loss 'dgpo'; valid: beta, reduction, detach_weight"), param.err());
        TestRepo.Run beta = run("margin", "--loss", "dgpo", "--param", "beta=0", "--input", in.toString());
        assertTrue(beta.err().contains("beta must be > 0"), beta.err());
        TestRepo.Run missing = run("margin", "--loss", "dgpo", "--input", dir.resolve("nope.jsonl").toString());
        assertEquals(DgpoCli.USER_ERROR, missing.code());
        assertTrue(missing.err().contains("nope.jsonl: no such file"), missing.err());
        TestRepo.Run folder = run("margin", "--loss", "dgpo", "--input", dir.toString());
        assertEquals("error: " + dir + ": is a folder, not a file", folder.err().strip());
    }

    @Test
    void malformedJsonIsPlacedNotQuoted() throws Exception {
        Path in = input("{\"chosen_logp_sum\": swordfish}");
        TestRepo.Run r = run("margin", "--loss", "dgpo", "--input", in.toString());
        assertEquals(DgpoCli.USER_ERROR, r.code());
        assertTrue(r.err().contains("pairs.jsonl:1: malformed JSON: not valid JSON at line 1, column 21"), r.err());
        assertFalse(r.err().contains("swordfish"), r.err());
    }

    @Test
    void heatmapIsAPngAndItsRatiosAreTheExactOnes() throws Exception {
        Path png = dir.resolve("dgpo.png");
        TestRepo.Run r = run("margin", "--loss", "dgpo", "--heatmap", png.toString());
        assertEquals(0, r.code(), r.err());
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(900, image.getWidth());
        double[][] grid = new MarginHeatmap(PreferenceLosses.create("dgpo"), 1).ratios();
        for (int k = 0; k < grid[0].length; k += 997) {
            double a = grid[0][k];
            double b = grid[1][k];
            double exact = ((a - b + 1) * Math.exp(a) + Math.exp(b)) / (Math.exp(a) + Math.exp(b) - (a - b) * Math.exp(b));
            assertEquals(exact, grid[2][k], 1e-9 * Math.abs(exact));
            assertTrue(Math.abs(DgpoLoss.paperRatio(a, b) - exact) > 0 || a == b);
        }
        double[][] paper = new MarginHeatmap(PreferenceLosses.create("dgpo"), 1, "paper").ratios();
        for (int k = 0; k < paper[0].length; k += 997) {
            assertEquals(DgpoLoss.paperRatio(paper[0][k], paper[1][k]), paper[2][k], 1e-12);
        }
        Path paperPng = dir.resolve("paper.png");
        assertEquals(0, run("margin", "--loss", "dgpo", "--heatmap", paperPng.toString(), "--heatmap-ratio", "paper").code());
        assertTrue(Files.size(paperPng) > 1000);
        assertTrue(run("margin", "--loss", "dpo", "--heatmap", paperPng.toString(), "--heatmap-ratio", "paper").err().contains("loss 'dpo' has no diagnostic 'paper' (it has none; use exact)"));
    }
}
