package io.github.dgpo.train.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dgpo.core.generate.GenerationOptions;
import io.github.dgpo.core.generate.Generator;
import io.github.dgpo.core.generate.StopTokens;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.data.tokenize.TextTokenizer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dgpo generate}: greedy or sampled continuation with a KV cache. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generates a continuation of token ids or a text prompt (temperature 0 = greedy).")
public final class GenerateCommand implements Callable<Integer> {

    @Mixin
    ModelOptions models;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    /** Exactly one of --ids or --prompt. */
    static final class Input {
        @Option(names = "--ids", description = "comma-separated prompt token ids")
        String ids;

        @Option(names = "--prompt", description = "prompt text (needs a tokenizer in the model folder)")
        String prompt;

        @Option(names = "--data", description = "a dataset whose prompts to complete (AlpacaEval output with --output)")
        Path data;
    }

    @Option(names = "--format", defaultValue = "jsonl", description = "--data format (default: ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--split", description = "--data split name")
    String split;

    @Option(names = "--output", description = "--data: JSON file in the AlpacaEval format [{instruction, output, generator}]")
    Path output;

    @Option(names = "--template-kwarg", paramLabel = "KEY=VALUE", description = "--data: " + TemplateKwargs.DESCRIPTION)
    java.util.Map<String, String> templateKwargs = new java.util.LinkedHashMap<>();

    @Option(names = "--limit", defaultValue = "0", description = "--data: at most this many prompts (0: all)")
    int limit;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "default: ${DEFAULT-VALUE}")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default)")
    double temperature;

    @Option(names = "--top-p", defaultValue = "1.0", description = "nucleus sampling mass (default: ${DEFAULT-VALUE})")
    double topP;

    @Option(names = "--top-k", defaultValue = "0", description = "keep the k most likely tokens, 0 = all (default)")
    int topK;

    @Option(names = "--seed", defaultValue = "0", description = "sampling seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--json", description = "one JSON object: ids (prompt + new), new_ids, text, completion")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (input.data != null) {
            return alpacaEval();
        }
        Path model = models.model;
        try (NDManager root = models.newManager(); CausalLm lm = models.load(root)) {
            TextTokenizer tokenizer = TextTokenizer.exists(model) ? TextTokenizer.load(model) : null;
            try {
                long[] prompt;
                if (input.ids != null) {
                    prompt = IdList.parse("--ids", input.ids);
                } else {
                    if (tokenizer == null) {
                        throw new UserInputException(model + ": --prompt needs a tokenizer.json in the model folder; use --ids");
                    }
                    long[] text = tokenizer.encode(input.prompt);
                    int bos = lm.config().bosTokenId();
                    prompt = bos >= 0 && (text.length == 0 || text[0] != bos) ? prepend(bos, text) : text;
                }
                GenerationOptions options;
                try {
                    options = new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, StopTokens.of(model, lm.config()));
                } catch (IllegalArgumentException e) {
                    throw new UserInputException(e.getMessage());
                }
                int v = lm.config().vocabSize();
                for (long t : prompt) {
                    if (t < 0 || t >= v) {
                        throw new UserInputException("prompt id " + t + " is outside the vocabulary [0, " + (v - 1) + "]");
                    }
                }
                Generator.Result r = new Generator(lm).generate(prompt, options, false);
                if (r.stop() == Generator.Stop.MAX_POSITIONS) {
                    spec.commandLine().getErr().println("note: stopped after " + r.newIds().length + " new tokens at the model's max_position_embeddings ("
                            + lm.config().maxPositionEmbeddings() + ")");
                }
                PrintWriter out = spec.commandLine().getOut();
                if (json) {
                    ObjectMapper mapper = new ObjectMapper();
                    ObjectNode o = mapper.createObjectNode();
                    Arrays.stream(r.ids()).forEach(o.putArray("ids")::add);
                    Arrays.stream(r.newIds()).forEach(o.putArray("new_ids")::add);
                    if (tokenizer != null) {
                        o.put("text", tokenizer.decode(r.ids(), true));
                        o.put("completion", tokenizer.decode(r.newIds(), true));
                    }
                    o.put("stopped_at_eos", r.stoppedAtEos());
                    o.put("stop", r.stop().name().toLowerCase(java.util.Locale.ROOT));
                    out.println(mapper.writeValueAsString(o));
                } else {
                    out.println(tokenizer != null ? tokenizer.decode(r.ids(), true) : Arrays.toString(r.ids()));
                }
            } finally {
                if (tokenizer != null) {
                    tokenizer.close();
                }
            }
        }
        return 0;
    }

    /** Completes every prompt of a dataset and writes AlpacaEval's {@code [{instruction, output, generator}]}. */
    private int alpacaEval() throws Exception {
        if (output == null) {
            throw new UserInputException("--data needs --output FILE");
        }
        java.util.List<io.github.dgpo.data.PreferenceExample> examples;
        try {
            examples = io.github.dgpo.data.Datasets.readPairs(new io.github.dgpo.data.Datasets.Spec(io.github.dgpo.data.DataFormat.parse(format), input.data, split, false,
                    io.github.dgpo.data.read.UltraFeedbackRawReader.Options.DEFAULT)).examples();
        } catch (io.github.dgpo.data.DataFormatException e) {
            throw new UserInputException(e.getMessage(), e);
        }
        if (limit > 0 && examples.size() > limit) {
            examples = examples.subList(0, limit);
        }
        io.github.dgpo.data.tokenize.TokenizeOptions tokenizeOptions;
        try {
            tokenizeOptions = new io.github.dgpo.data.tokenize.TokenizeOptions(2048, 0, TemplateKwargs.typed(templateKwargs));
        } catch (IllegalArgumentException e) {
            throw new UserInputException(e.getMessage());
        }
        ObjectMapper mapper = new ObjectMapper();
        com.fasterxml.jackson.databind.node.ArrayNode out = mapper.createArrayNode();
        Path model = models.model;
        String generator = (models.adapter != null ? models.adapter : model).toAbsolutePath().normalize().getFileName().toString();
        try (NDManager root = models.newManager(); CausalLm lm = models.load(root);
                io.github.dgpo.data.tokenize.PairTokenizer pt = io.github.dgpo.data.tokenize.PairTokenizer.fromFolder(model, tokenizeOptions);
                TextTokenizer text = TextTokenizer.load(model)) {
            java.util.Set<Integer> stop = new java.util.HashSet<>(StopTokens.of(model, lm.config()));
            stop.add((int) pt.endOfTurnId());
            GenerationOptions options = new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, stop);
            int atLimit = 0;
            for (io.github.dgpo.data.PreferenceExample e : examples) {
                Generator.Result r = new Generator(lm).generate(pt.promptIds(e.prompt(), e.tools()), options, false);
                atLimit += r.stop() == Generator.Stop.MAX_POSITIONS ? 1 : 0;
                long[] ids = r.stoppedAtEos() ? Arrays.copyOf(r.newIds(), r.newIds().length - 1) : r.newIds();
                ObjectNode o = out.addObject();
                o.put("instruction", e.prompt().get(e.prompt().size() - 1).content());
                o.put("output", text.decode(ids, true));
                o.put("generator", generator);
            }
            if (atLimit > 0) {
                spec.commandLine().getErr().println("note: " + atLimit + " completions stopped at the model's max_position_embeddings (" + lm.config().maxPositionEmbeddings() + ")");
            }
        }
        Path target = output.toAbsolutePath();
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        mapper.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), out);
        java.nio.file.Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        spec.commandLine().getErr().println("wrote " + out.size() + " completions to " + output);
        return 0;
    }

    private static long[] prepend(long first, long[] rest) {
        long[] out = new long[rest.length + 1];
        out[0] = first;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }
}
