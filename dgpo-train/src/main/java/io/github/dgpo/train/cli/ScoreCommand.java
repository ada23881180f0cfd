package io.github.dgpo.train.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dgpo.core.model.CausalLm;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dgpo score}: per-token log-probabilities of a token sequence under a model. */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = "Log-probabilities of ids[1:] given their prefixes, their sum, and logits rows.")
public final class ScoreCommand implements Callable<Integer> {

    @Mixin
    ModelOptions models;

    @Option(names = "--ids", required = true, description = "comma-separated token ids, e.g. 1,5,9")
    String ids;

    @Option(names = "--logits-at", description = "comma-separated positions whose logits rows to print")
    String logitsAt;

    @Option(names = "--json", description = "one JSON object: token_logprobs, sum_logprob, logits")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        long[] tokens = IdList.parse("--ids", ids);
        long[] positions = logitsAt == null ? new long[0] : IdList.parse("--logits-at", logitsAt);
        if (tokens.length < 1) {
            throw new UserInputException("--ids needs at least one id");
        }
        for (long p : positions) {
            if (p < 0 || p >= tokens.length) {
                throw new UserInputException("--logits-at position " + p + " is outside [0, " + (tokens.length - 1) + "]");
            }
        }
        try (NDManager root = models.newManager(); CausalLm lm = models.load(root); NDManager m = root.newSubManager()) {
            int v = lm.config().vocabSize();
            for (long t : tokens) {
                if (t < 0 || t >= v) {
                    throw new UserInputException("--ids: id " + t + " is outside the vocabulary [0, " + (v - 1) + "]");
                }
            }
            int maxPositions = lm.config().maxPositionEmbeddings();
            if (maxPositions > 0 && tokens.length > maxPositions) {
                throw new UserInputException("--ids: " + tokens.length + " ids are more than the model's max_position_embeddings (" + maxPositions + "); score at most that many");
            }
            long[][] ones = new long[1][tokens.length];
            Arrays.fill(ones[0], 1);
            NDArray logits = lm.logits(lm.hiddenStates(new long[][] {tokens}, ones, null, m)).get(0);
            // only what is printed leaves the engine: T log-probabilities, not the [T, V] table
            double[] tokenLogprobs = new double[tokens.length - 1];
            double sum = 0;
            if (tokens.length > 1) {
                NDArray next = m.create(Arrays.copyOfRange(tokens, 1, tokens.length)).reshape(tokens.length - 1, 1);
                float[] picked = logits.get("0:-1").logSoftmax(1).gather(next, 1).toFloatArray();
                for (int i = 0; i < picked.length; i++) {
                    tokenLogprobs[i] = picked[i];
                    sum += picked[i];
                }
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                ObjectMapper mapper = new ObjectMapper();
                ObjectNode o = mapper.createObjectNode();
                Arrays.stream(tokenLogprobs).forEach(o.putArray("token_logprobs")::add);
                o.put("sum_logprob", sum);
                ObjectNode rows = o.putObject("logits");
                for (long p : positions) {
                    var arr = rows.putArray(Long.toString(p));
                    for (float x : logits.get(p).toFloatArray()) {
                        arr.add(x);
                    }
                }
                out.println(mapper.writeValueAsString(o));
            } else {
                out.printf("%-6s %-8s %s%n", "pos", "id", "log p(id | prefix)");
                for (int i = 1; i < tokens.length; i++) {
                    out.printf("%-6d %-8d %.6f%n", i, tokens[i], tokenLogprobs[i - 1]);
                }
                out.printf("sum: %.6f over %d tokens%n", sum, tokens.length - 1);
                for (long p : positions) {
                    out.printf("logits[%d]: %s%n", p, Arrays.toString(logits.get(p).toFloatArray()));
                }
            }
        }
        return 0;
    }
}
