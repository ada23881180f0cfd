package io.github.dgpo.train.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dgpo.data.DataFormat;
import io.github.dgpo.data.DataInspector;
import io.github.dgpo.data.Datasets;
import io.github.dgpo.data.LengthStats;
import io.github.dgpo.data.read.UltraFeedbackRawReader;
import io.github.dgpo.data.tokenize.TokenizeOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dgpo data}: dataset tools. */
@Command(name = "data", mixinStandardHelpOptions = true, description = "Dataset tools.", subcommands = {DataCommand.Inspect.class})
public final class DataCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code dgpo data inspect}. */
    @Command(name = "inspect", mixinStandardHelpOptions = true,
            description = "Reads a dataset and reports what was kept, dropped (and why) and truncated, token counts and pair similarity.")
    public static final class Inspect implements Callable<Integer> {
        @Option(names = "--format", required = true, description = "hh-rlhf, ultrafeedback, ultrafeedback-raw, jsonl or kto")
        String format;

        @Option(names = "--path", required = true, description = "a file or a folder")
        Path path;

        @Option(names = "--split", description = "split name selecting files in a folder (e.g. train_prefs)")
        String split;

        @Option(names = "--tokenizer", description = "tokenizer folder (tokenizer.json[.gz], tokenizer_config.json)")
        Path tokenizer;

        @Option(names = "--max-length", defaultValue = "2048", description = "default: ${DEFAULT-VALUE}")
        int maxLength;

        @Option(names = "--max-prompt-length", defaultValue = "0", description = "0 = no separate limit (default)")
        int maxPromptLength;

        @Option(names = "--template-kwarg", paramLabel = "KEY=VALUE", description = TemplateKwargs.DESCRIPTION)
        Map<String, String> templateKwargs = new LinkedHashMap<>();

        @Option(names = "--strict", description = "fail on the first bad row")
        boolean strict;

        @Option(names = "--pair-rule", defaultValue = "best-vs-random", description = "ultrafeedback-raw: best-vs-random, best-vs-worst or all-pairs (default: ${DEFAULT-VALUE})")
        String pairRule;

        @Option(names = "--min-score-gap", defaultValue = "1.0", description = "ultrafeedback-raw, all-pairs: minimum score gap (default: ${DEFAULT-VALUE})")
        double minScoreGap;

        @Option(names = "--fine-grained-scores", description = "ultrafeedback-raw: score by the mean of fine-grained ratings, not overall_score")
        boolean fineGrained;

        @Option(names = "--seed", defaultValue = "42", description = "ultrafeedback-raw, best-vs-random: seed (default: ${DEFAULT-VALUE})")
        long seed;

        @Option(names = "--json", description = "one JSON object")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            TokenizeOptions options;
            try {
                options = new TokenizeOptions(maxLength, maxPromptLength, TemplateKwargs.typed(templateKwargs));
            } catch (IllegalArgumentException e) {
                throw new UserInputException(e.getMessage());
            }
            DataInspector.Inspection in;
            try {
                UltraFeedbackRawReader.Options raw = new UltraFeedbackRawReader.Options(io.github.dgpo.data.read.PairRule.parse(pairRule), minScoreGap, fineGrained, seed);
                in = DataInspector.inspect(new Datasets.Spec(DataFormat.parse(format), path, split, strict, raw), tokenizer, options);
            } catch (io.github.dgpo.data.DataFormatException e) {
                throw new UserInputException(e.getMessage(), e);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                ObjectMapper mapper = new ObjectMapper();
                ObjectNode o = mapper.createObjectNode();
                o.put("read", in.report().read());
                o.put("kept", in.report().kept());
                ObjectNode dropped = o.putObject("dropped");
                in.report().dropped().forEach(dropped::put);
                o.put("truncated", in.report().truncated());
                if (tokenizer != null) {
                    stats(o.putObject("prompt_tokens"), in.prompt());
                    stats(o.putObject("chosen_tokens"), in.chosen());
                    stats(o.putObject("rejected_tokens"), in.rejected());
                    ObjectNode sim = o.putObject("similarity");
                    number(sim, "jaccard_mean", in.jaccardMean());
                    number(sim, "common_prefix_mean", in.commonPrefixMean());
                }
                out.println(mapper.writeValueAsString(o));
            } else {
                out.println(path + " (" + format + (split == null ? "" : ", split " + split) + ")");
                out.println(in.report().summary());
                if (tokenizer != null) {
                    out.printf("prompt tokens:   %s%n", text(in.prompt()));
                    out.printf("chosen tokens:   %s%n", text(in.chosen()));
                    out.printf("rejected tokens: %s%n", text(in.rejected()));
                    if (!Double.isNaN(in.jaccardMean())) {
                        out.printf("similarity: token Jaccard %.3f, common prefix %.3f of the shorter completion%n", in.jaccardMean(), in.commonPrefixMean());
                    }
                }
            }
            return 0;
        }

        private static void stats(ObjectNode o, LengthStats s) {
            o.put("mean", s.mean());
            o.put("p50", s.p50());
            o.put("p95", s.p95());
            o.put("max", s.max());
        }

        private static void number(ObjectNode o, String name, double v) {
            if (Double.isNaN(v)) {
                o.putNull(name);
            } else {
                o.put(name, v);
            }
        }

        private static String text(LengthStats s) {
            return String.format("mean %.1f, p50 %d, p95 %d, max %d", s.mean(), s.p50(), s.p95(), s.max());
        }
    }
}
