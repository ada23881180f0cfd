package io.github.dgpo.train.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.data.DataFormat;
import io.github.dgpo.data.DataFormatException;
import io.github.dgpo.data.Datasets;
import io.github.dgpo.data.read.UltraFeedbackRawReader;
import io.github.dgpo.data.tokenize.PairTokenizer;
import io.github.dgpo.data.tokenize.TokenizeOptions;
import io.github.dgpo.data.tokenize.TokenizedPair;
import io.github.dgpo.train.run.Evaluator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dgpo eval}: held-out preference accuracy of a model. */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Preference accuracy and log-probabilities of a model on held-out pairs.")
public final class EvalCommand implements Callable<Integer> {

    @Mixin
    ModelOptions models;

    @Option(names = "--data", required = true, description = "dataset file or folder")
    Path data;

    @Option(names = "--format", defaultValue = "hh-rlhf", description = "dataset format (default: ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--split", description = "split name selecting files in a folder")
    String split;

    @Option(names = "--ref-model", description = "reference model folder: adds the implicit-reward accuracy")
    Path refModel;

    @Option(names = "--tokenizer", description = "tokenizer folder (default: the model folder)")
    Path tokenizer;

    @Option(names = "--max-length", defaultValue = "2048", description = "default: ${DEFAULT-VALUE}")
    int maxLength;

    @Option(names = "--template-kwarg", paramLabel = "KEY=VALUE", description = TemplateKwargs.DESCRIPTION)
    Map<String, String> templateKwargs = new LinkedHashMap<>();

    @Option(names = "--max-pairs", defaultValue = "0", description = "evaluate at most this many pairs (0: all)")
    int maxPairs;

    @Option(names = "--batch-size", defaultValue = "8", description = "default: ${DEFAULT-VALUE}")
    int batchSize;

    @Option(names = "--json", description = "one JSON object")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Path tok = tokenizer != null ? tokenizer : models.model;
        List<TokenizedPair> pairs;
        long pad;
        Datasets.Pairs read;
        TokenizeOptions options;
        try {
            options = new TokenizeOptions(maxLength, 0, TemplateKwargs.typed(templateKwargs));
        } catch (IllegalArgumentException e) {
            throw new UserInputException(e.getMessage());
        }
        try (PairTokenizer t = PairTokenizer.fromFolder(tok, options)) {
            read = Datasets.readPairs(new Datasets.Spec(DataFormat.parse(format), data, split, false, UltraFeedbackRawReader.Options.DEFAULT));
            pairs = t.tokenizeAll(read.examples(), read.report());
            pad = t.padId();
        } catch (DataFormatException e) {
            throw new UserInputException(e.getMessage(), e);
        }
        if (maxPairs > 0 && pairs.size() > maxPairs) {
            pairs = pairs.subList(0, maxPairs);
        }
        Evaluator.Result r;
        try (NDManager root = models.newManager(); CausalLm policy = models.load(root);
                CausalLm ref = refModel == null ? null : CausalLm.load(refModel, root)) {
            r = Evaluator.evaluate(policy, ref, pairs, pad, batchSize, 256, root);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode o = mapper.createObjectNode();
            o.put("pairs", r.pairs());
            o.put("read", read.report().read());
            ObjectNode dropped = o.putObject("dropped");
            read.report().dropped().forEach(dropped::put);
            o.put("accuracy_sum", r.accuracySum());
            o.put("accuracy_average", r.accuracyAverage());
            if (refModel != null) {
                o.put("implicit_reward_accuracy", r.implicitRewardAccuracy());
            }
            o.put("logps_chosen", r.chosenLogps());
            o.put("logps_rejected", r.rejectedLogps());
            o.put("logps_avg_chosen", r.chosenLogpsAverage());
            o.put("logps_avg_rejected", r.rejectedLogpsAverage());
            out.println(mapper.writeValueAsString(o));
        } else {
            out.printf("%d pairs (%s)%n", r.pairs(), read.report().summary().replace("\n", "; "));
            out.printf("accuracy (sum log p):        %.4f%n", r.accuracySum());
            out.printf("accuracy (per-token average): %.4f%n", r.accuracyAverage());
            if (refModel != null) {
                out.printf("implicit-reward accuracy:    %.4f%n", r.implicitRewardAccuracy());
            }
            out.printf("mean log p chosen / rejected: %.4f / %.4f (per token %.4f / %.4f)%n", r.chosenLogps(), r.rejectedLogps(), r.chosenLogpsAverage(), r.rejectedLogpsAverage());
        }
        return 0;
    }

}
