package io.github.dgpo.train.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dgpo.core.OfflineEngine;
import io.github.dgpo.losses.LossOutput;
import io.github.dgpo.losses.PairLogps;
import io.github.dgpo.losses.PreferenceLoss;
import io.github.dgpo.losses.PreferenceLosses;
import io.github.dgpo.train.plot.MarginHeatmap;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code dgpo margin}: a loss's value, {@code d_w}, {@code d_l} and margin for each pair of
 * sequence log-probabilities in a JSONL file, and optionally the heatmap of {@code d_w/d_l}
 * over the plane of per-token averages.
 */
@Command(
        name = "margin",
        mixinStandardHelpOptions = true,
        description = {
            "Computes a loss's value, d_w, d_l (with respect to the sums) and margin for each input line.",
            "Input lines: {\"chosen_logp_sum\", \"rejected_logp_sum\", \"chosen_tokens\", \"rejected_tokens\"}"
                    + " plus \"ref_chosen_logp_sum\", \"ref_rejected_logp_sum\" for losses with a reference.",
            "A batch-dependent loss (aot, aot-unpaired, bco-pair with bco_running_mean) takes all lines as one batch B"
                    + " and reports d_w = -B*dL/dS_w and d_l = B*dL/dS_l of the batch mean L."
        })
public final class MarginCommand implements Callable<Integer> {

    private static final int BATCH = 8192;

    @Option(names = "--loss", required = true, split = ",", description = "the loss's name, e.g. dgpo, dpo, ipo, kto, simpo, aot (all: docs/losses.md);"
            + " a comma-separated list for a mixture (dpo,sft)")
    List<String> loss;

    @Option(names = "--loss-weights", split = ",", description = "a mixture's weights, one per loss (default 1 each)")
    List<Double> lossWeights;

    @Option(names = "--param", description = "hyperparameter key=value (repeatable), e.g. beta=0.1, z0=0.5")
    Map<String, String> params = new LinkedHashMap<>();

    @Option(names = "--input", description = "JSONL file of pairs")
    Path input;

    @Option(names = "--output", description = "output JSONL file (default: stdout); written only when every line is valid")
    Path output;

    @Option(names = "--heatmap", description = "PNG of d_w/d_l over per-token averages in [-3, 0]^2")
    Path heatmap;

    @Option(names = "--heatmap-ratio", defaultValue = "exact", description = "exact (d_w/d_l of the gradient, default) or the name of one of the loss's diagnostics (dgpo: paper, the Eq. 12-13 ratio)")
    String heatmapRatio;

    @Option(names = "--heatmap-tokens", defaultValue = "1", description = "completion length used for both responses in the heatmap (default: ${DEFAULT-VALUE})")
    int heatmapTokens;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        if (input == null && heatmap == null) {
            throw new UserInputException("give --input, --heatmap or both");
        }
        if (output != null && input == null) {
            throw new UserInputException("--output needs --input");
        }
        PreferenceLoss asked = PreferenceLosses.create(loss, lossWeights, params);
        PreferenceLoss preferenceLoss = asked.fromSumsOnly();
        if (preferenceLoss != asked) {
            err.println("note: " + String.join("+", loss) + " needs passes over other pairs that a table of sums cannot give; using " + preferenceLoss);
        }
        if (input != null) {
            long count = score(preferenceLoss);
            if (output != null) {
                err.println("wrote " + count + " lines to " + output);
            }
        }
        if (heatmap != null) {
            if (heatmapTokens < 1) {
                throw new UserInputException("--heatmap-tokens must be >= 1, got " + heatmapTokens);
            }
            new MarginHeatmap(preferenceLoss, heatmapTokens, heatmapRatio.equals("exact") ? null : heatmapRatio).write(heatmap);
            err.println("wrote " + heatmap);
        }
        return 0;
    }

    private long score(PreferenceLoss preferenceLoss) throws IOException {
        MarginRows rows = new MarginRows(input, preferenceLoss.requiresReference(), preferenceLoss.inputs().contains(io.github.dgpo.losses.LossInput.TOKEN_ALIGNMENT));
        // First pass validates every line, so a bad line leaves no partial output anywhere.
        long count = rows.forEachBatch(BATCH, batch -> {});
        if (output == null) {
            PrintWriter out = spec.commandLine().getOut();
            write(rows, preferenceLoss, out);
            out.flush();
            return count;
        }
        Path target = output.toAbsolutePath();
        Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".part");
        try {
            try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                write(rows, preferenceLoss, out);
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return count;
    }

    private static void write(MarginRows rows, PreferenceLoss loss, Writer out) {
        // a batch-dependent loss's value for a line depends on every other line: one batch
        int batchSize = loss.batchDependent() ? Integer.MAX_VALUE : BATCH;
        try (NDManager manager = OfflineEngine.newManager()) {
            rows.forEachBatch(batchSize, batch -> writeBatch(manager, loss, batch, out));
        }
    }

    private static void writeBatch(NDManager root, PreferenceLoss loss, List<MarginRows.Row> batch, Writer out) {
        int n = batch.size();
        double[][] cols = new double[8][n];
        for (int i = 0; i < n; i++) {
            MarginRows.Row r = batch.get(i);
            cols[0][i] = r.sw();
            cols[1][i] = r.sl();
            cols[2][i] = r.nw();
            cols[3][i] = r.nl();
            cols[4][i] = r.rw();
            cols[5][i] = r.rl();
            cols[6][i] = r.aw();
            cols[7][i] = r.al();
        }
        try (NDManager m = root.newSubManager()) {
            PairLogps logps = PairLogps.of(m.create(cols[0]), m.create(cols[1]), m.create(cols[2]), m.create(cols[3]));
            if (loss.requiresReference()) {
                logps = logps.withReference(m.create(cols[4]), m.create(cols[5]));
            }
            if (loss.inputs().contains(io.github.dgpo.losses.LossInput.TOKEN_ALIGNMENT)) {
                logps = logps.withAlignment(m.create(cols[6]), m.create(cols[7]));
            }
            LossOutput result = loss.compute(logps);
            double[] perPair = result.perPair().toDoubleArray();
            double[] dW = result.dW().toDoubleArray();
            double[] dL = result.dL().toDoubleArray();
            double[] margins = result.margins().toDoubleArray();
            for (int i = 0; i < n; i++) {
                ObjectNode json = batch.get(i).json();
                json.put("loss", perPair[i]);
                json.put("d_w", dW[i]);
                json.put("d_l", dL[i]);
                json.put("margin", margins[i]);
                out.write(MarginRows.JSON.writeValueAsString(json));
                out.write('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
