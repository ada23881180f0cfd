package io.github.dgpo.train.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.github.dgpo.core.model.Architecture;
import io.github.dgpo.core.model.ModelConfig;
import io.github.dgpo.core.util.InputFiles;
import io.github.dgpo.core.util.JsonFiles;
import io.github.dgpo.data.DataFormat;
import io.github.dgpo.data.DataFormatException;
import io.github.dgpo.losses.PreferenceLoss;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads a YAML run config: unknown keys are errors naming the key (and the valid ones), {@code
 * --set key=value} overrides are applied with YAML typing ({@code 1e-6}, {@code true}; a dotted
 * key such as {@code random_model.vocab_size} sets a field of a mapping), and the values are
 * validated before anything runs.
 *
 * <p>YAML that would not mean what it says is refused, naming the file and line: a duplicate key
 * (YAML readers keep the last one silently), an alias such as {@code *bs} (Jackson reads it as
 * the text {@code bs}), and a decimal where an integer belongs ({@code 2.5} or {@code 1e9} as a
 * batch size, which Jackson would truncate). Only a regular file of at most {@link
 * InputFiles#MAX_CONFIG_BYTES} is read, and syntax errors give the position, not the text.
 */
public final class ConfigLoader {

    /** YAML reader/writer with snake_case keys as declared. */
    public static final ObjectMapper YAML = new YAMLMapper(new YAMLFactory()).enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

    private ConfigLoader() {}

    /**
     * Loads and validates a config.
     *
     * @param file the YAML file
     * @param overrides {@code key=value} strings
     * @return the config
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException naming the key or value at fault
     */
    public static TrainConfig load(Path file, List<String> overrides) throws IOException {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new NoSuchFileException(file + ": no such config file");
        }
        JsonNode tree = readYaml(InputFiles.readBounded(file, InputFiles.MAX_CONFIG_BYTES, "a YAML config"), file.toString());
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            tree = YAML.createObjectNode();
        }
        if (!tree.isObject()) {
            throw new IllegalArgumentException(file + ": a config is a mapping of keys to values");
        }
        ObjectNode root = (ObjectNode) tree;
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--set expects key=value, got '" + o + "'");
            }
            String key = o.substring(0, eq).trim();
            JsonNode value = readYaml(o.substring(eq + 1).getBytes(StandardCharsets.UTF_8), "--set " + key);
            value = value == null || value.isMissingNode() ? YAML.nullNode() : value;
            // a dotted key (random_model.vocab_size=...) sets a field of a mapping
            ObjectNode parent = root;
            String[] path = key.split("\\.");
            for (int i = 0; i < path.length - 1; i++) {
                JsonNode child = parent.get(path[i]);
                if (!(child instanceof ObjectNode)) {
                    child = parent.putObject(path[i]);
                }
                parent = (ObjectNode) child;
            }
            parent.set(path[path.length - 1], value);
        }
        TrainConfig c;
        try {
            c = YAML.treeToValue(root, TrainConfig.class);
        } catch (UnrecognizedPropertyException e) {
            TreeSet<String> known = new TreeSet<>();
            e.getKnownPropertyIds().forEach(k -> known.add(k.toString()));
            throw new IllegalArgumentException(file + ": unknown key '" + e.getPropertyName() + "'; valid keys: " + String.join(", ", known));
        } catch (MismatchedInputException e) {
            throw new IllegalArgumentException(file + ": " + wrongType(e, root));
        } catch (com.fasterxml.jackson.databind.JsonMappingException e) {
            throw new IllegalArgumentException(file + ": " + JsonFiles.describe(e));
        }
        validate(c, file);
        return c;
    }

    /**
     * Parses YAML after a streaming pass that refuses aliases and duplicate keys, naming the
     * line; syntax errors give the position, never the text.
     */
    private static JsonNode readYaml(byte[] yaml, String source) throws IOException {
        try (JsonParser p = YAML.getFactory().createParser(yaml)) {
            Deque<Set<String>> keys = new ArrayDeque<>();
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                JsonLocation at = p.currentTokenLocation();
                if (p instanceof YAMLParser y && y.isCurrentAlias()) {
                    throw new IllegalArgumentException(source + ": YAML aliases are not supported (line " + at.getLineNr() + ", column " + at.getColumnNr()
                            + "); write the value out");
                }
                if (t == JsonToken.START_OBJECT) {
                    keys.push(new HashSet<>());
                } else if (t == JsonToken.END_OBJECT) {
                    keys.pop();
                } else if (t == JsonToken.FIELD_NAME && !keys.peek().add(p.currentName())) {
                    throw new IllegalArgumentException(source + ": duplicate key '" + p.currentName() + "' at line " + at.getLineNr());
                }
            }
            return YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            String problem = e.getCause() instanceof MarkedYAMLException m ? m.getProblem() : null;
            // snakeyaml's problem may quote the text (found character '...'); keep it only when it does not
            boolean quotes = problem == null || problem.contains("'") || problem.contains("\"");
            JsonLocation l = e.getLocation();
            throw new IllegalArgumentException(source + ": not valid YAML" + (l == null ? "" : " at line " + l.getLineNr() + ", column " + l.getColumnNr())
                    + (quotes ? "" : " (" + problem + ")"), e);
        }
    }

    /** {@code key must be an integer, got 2.5}, with the value as the YAML gave it. */
    private static String wrongType(MismatchedInputException e, JsonNode root) {
        StringBuilder key = new StringBuilder();
        JsonNode value = root;
        for (com.fasterxml.jackson.databind.JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                key.append(key.length() == 0 ? "" : ".").append(r.getFieldName());
                value = value == null ? null : value.get(r.getFieldName());
            } else {
                key.append('[').append(r.getIndex()).append(']');
                value = value == null ? null : value.get(r.getIndex());
            }
        }
        Class<?> type = e.getTargetType();
        String expected = type == null ? "another type"
                : type == Integer.class || type == Long.class || type == int.class || type == long.class ? "an integer"
                : type == Double.class || type == double.class ? "a number"
                : type == Boolean.class || type == boolean.class ? "true or false"
                : type == String.class ? "a string"
                : type.getSimpleName();
        return (key.length() == 0 ? "the config" : key) + " must be " + expected + (value == null ? "" : ", got " + value);
    }

    /**
     * Validates a config.
     *
     * @param c the config
     * @param file its file, for messages
     */
    public static void validate(TrainConfig c, Path file) {
        String where = file + ": ";
        if (c.outputDir == null || c.outputDir.isBlank()) {
            throw new IllegalArgumentException(where + "output_dir is required");
        }
        if ((c.modelNameOrPath == null) == (c.randomModel == null)) {
            throw new IllegalArgumentException(where + "give exactly one of model_name_or_path (an HF folder) or random_model (a config for a seeded random model)");
        }
        if (c.datasetPath == null) {
            throw new IllegalArgumentException(where + "dataset_path is required");
        }
        DataFormat format;
        try {
            format = DataFormat.parse(c.datasetFormat);
        } catch (DataFormatException e) {
            throw new IllegalArgumentException(where + e.getMessage(), e);
        }
        if (c.randomModel != null) {
            try {
                randomModelConfig(c);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + e.getMessage(), e);
            }
        }
        c.rawPairing();
        PreferenceLoss loss;
        try {
            loss = c.loss();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + e.getMessage(), e);
        }
        if (format == DataFormat.KTO && loss.unpaired().isEmpty()) {
            throw new IllegalArgumentException(where + "dataset_format kto holds unpaired examples, and loss_type " + c.lossName() + " has no unpaired form (kto has)");
        }
        positive(where, "learning_rate", c.learningRate);
        positive(where, "per_device_train_batch_size", c.perDeviceTrainBatchSize);
        positive(where, "per_device_eval_batch_size", c.perDeviceEvalBatchSize);
        positive(where, "gradient_accumulation_steps", c.gradientAccumulationSteps);
        positive(where, "logging_steps", c.loggingSteps);
        positive(where, "max_consecutive_bad_steps", c.maxConsecutiveBadSteps);
        if (c.warmupRatio < 0 || c.warmupRatio > 1) {
            throw new IllegalArgumentException(where + "warmup_ratio must be in [0, 1], got " + c.warmupRatio);
        }
        if (!List.of("cosine", "linear", "constant").contains(c.lrSchedulerType.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException(where + "lr_scheduler_type must be cosine, linear or constant, got '" + c.lrSchedulerType + "'");
        }
        if (c.maxSteps <= 0 && !(c.numTrainEpochs > 0)) {
            throw new IllegalArgumentException(where + "set max_steps > 0 or num_train_epochs > 0");
        }
        if (c.evalFraction < 0 || c.evalFraction >= 1) {
            throw new IllegalArgumentException(where + "eval_fraction must be in [0, 1), got " + c.evalFraction);
        }
        if (!List.of("float32", "bfloat16").contains(c.saveDtype)) {
            throw new IllegalArgumentException(where + "save_dtype must be float32 or bfloat16, got '" + c.saveDtype + "'");
        }
        if (c.maxGradNorm < 0 || c.weightDecay < 0 || c.logitsChunkSize < 0 || c.evalSteps < 0 || c.saveSteps < 0 || c.saveTotalLimit < 0) {
            throw new IllegalArgumentException(where + "max_grad_norm, weight_decay, logits_chunk_size, eval_steps, save_steps and save_total_limit must be >= 0");
        }
        new io.github.dgpo.data.tokenize.TokenizeOptions(c.maxLength, c.maxPromptLength);
        validateScaling(c, where);
    }

    /** {@code use_peft} and the LoRA keys, {@code base_dtype}, {@code device}. */
    private static void validateScaling(TrainConfig c, String where) {
        try {
            c.frozenDtype();
            if (c.usePeft) {
                c.lora();
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + e.getMessage(), e);
        }
        if (c.adapterNameOrPath != null && !c.usePeft) {
            throw new IllegalArgumentException(where + "adapter_name_or_path continues training a LoRA adapter: set use_peft: true");
        }
        if (!c.device.matches("auto|cpu|cuda|cuda:\\d+")) {
            throw new IllegalArgumentException(where + "device must be auto, cpu, cuda or cuda:N, got '" + c.device + "'");
        }
    }

    /**
     * The config of {@code random_model}: {@code architecture} (default llama) and any HF
     * config field; an unknown key or impossible value is an error naming it. Checked when the
     * config loads, so a trainer building the model from this gets no surprise.
     *
     * @param c a config with {@code random_model}
     * @return the model config
     * @throws IllegalArgumentException naming the key or value at fault
     */
    public static ModelConfig randomModelConfig(TrainConfig c) {
        Object arch = c.randomModel.getOrDefault("architecture", "llama");
        Architecture a = Architecture.find(String.valueOf(arch));
        if (a == null) {
            throw new IllegalArgumentException("random_model.architecture '" + arch + "' is not supported; supported: " + Architecture.supported());
        }
        TreeSet<String> valid = new TreeSet<>(ModelConfig.Builder.keys());
        valid.add("architecture");
        ModelConfig.Builder b = ModelConfig.builder(a);
        for (Map.Entry<String, Object> e : c.randomModel.entrySet()) {
            if (!valid.contains(e.getKey())) {
                throw new IllegalArgumentException("random_model: unknown key '" + e.getKey() + "'; valid keys: " + String.join(", ", valid));
            }
            if (!e.getKey().equals("architecture")) {
                b.set(e.getKey(), e.getValue());
            }
        }
        return b.build("random_model");
    }

    private static void positive(String where, String key, Number v) {
        if (v == null || v.doubleValue() <= 0) {
            throw new IllegalArgumentException(where + key + " must be > 0, got " + v);
        }
    }
}
