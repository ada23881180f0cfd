package io.github.dgpo.train.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.github.dgpo.data.DataFormat;
import io.github.dgpo.losses.PreferenceLoss;
import io.github.dgpo.losses.PreferenceLosses;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * Reads a YAML run config: unknown keys are errors naming the key (and the valid ones), {@code
 * --set key=value} overrides are applied with YAML typing ({@code 1e-6}, {@code true}; a dotted
 * key such as {@code random_model.vocab_size} sets a field of a mapping), and the values are
 * validated before anything runs.
 */
public final class ConfigLoader {

    /** YAML reader/writer with snake_case keys as declared. */
    public static final ObjectMapper YAML = new YAMLMapper(new YAMLFactory()).enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

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
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file + ": no such config file");
        }
        JsonNode tree = YAML.readTree(file.toFile());
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
            JsonNode value = YAML.readTree(o.substring(eq + 1));
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
        } catch (com.fasterxml.jackson.databind.JsonMappingException e) {
            throw new IllegalArgumentException(file + ": " + e.getOriginalMessage() + " at " + e.getPathReference());
        }
        validate(c, file);
        return c;
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
        c.rawPairing();
        PreferenceLoss loss;
        try {
            loss = PreferenceLosses.create(c.lossType, c.lossHyperparameters());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + e.getMessage(), e);
        }
        if (DataFormat.parse(c.datasetFormat) == DataFormat.KTO && loss.unpaired().isEmpty()) {
            throw new IllegalArgumentException(where + "dataset_format kto holds unpaired examples, and loss_type " + c.lossType + " has no unpaired form (kto has)");
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

    private static void positive(String where, String key, Number v) {
        if (v == null || v.doubleValue() <= 0) {
            throw new IllegalArgumentException(where + key + " must be > 0, got " + v);
        }
    }
}
