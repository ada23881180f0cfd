package io.github.dgpo.core.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dgpo.core.safetensors.ArraySource;
import io.github.dgpo.core.safetensors.DType;
import io.github.dgpo.core.safetensors.SafetensorsException;
import io.github.dgpo.core.safetensors.SafetensorsFile;
import io.github.dgpo.core.safetensors.SafetensorsWriter;
import io.github.dgpo.core.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * LoRA adapters in PEFT's folder format: {@code adapter_config.json} ({@code peft_type: LORA},
 * {@code r}, {@code lora_alpha}, {@code lora_dropout}, {@code target_modules}, {@code
 * use_rslora}, and per-module {@code rank_pattern} / {@code alpha_pattern}) and {@code
 * adapter_model.safetensors} with tensors named {@code
 * base_model.model.<module>.lora_A.weight} / {@code .lora_B.weight}, {@code <module>} an HF
 * projection name such as {@code model.layers.0.self_attn.q_proj}.
 *
 * <p>Read: the tensors decide which projections are adapted and each module's rank; a module's
 * alpha is the first {@code alpha_pattern} key matching its name the way PEFT matches ({@code
 * (.*\.)?(key)$}), else {@code lora_alpha}. PEFT features dgpo does not implement (DoRA, trained
 * biases, {@code modules_to_save}, adapters on embeddings or the head, {@code fan_in_fan_out},
 * layer replication, trainable tokens) are refused with a message naming them.
 */
public final class PeftAdapterIo {

    /** The config file. */
    public static final String CONFIG = "adapter_config.json";
    /** The weights file. */
    public static final String WEIGHTS = "adapter_model.safetensors";
    /** PEFT's prefix of tensor names (the PeftModel wrapping the causal LM). */
    public static final String PREFIX = "base_model.model.";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern TENSOR = Pattern.compile(Pattern.quote(PREFIX) + "(.+)\\.lora_([AB])\\.weight");

    private PeftAdapterIo() {}

    /**
     * Returns whether a folder holds a PEFT adapter.
     *
     * @param dir the folder
     * @return true when it has {@code adapter_config.json}
     */
    public static boolean isAdapter(Path dir) {
        return Files.isRegularFile(dir.resolve(CONFIG));
    }

    /**
     * Reads an adapter for a model.
     *
     * @param dir the adapter folder
     * @param model the base model's config
     * @param parent manager the adapters' own manager is created under (the model's device)
     * @return the adapters (frozen until {@link LoraAdapters#setTrainable})
     * @throws IOException for a missing or malformed folder or an unsupported adapter
     */
    public static LoraAdapters read(Path dir, ModelConfig model, NDManager parent) throws IOException {
        Path configFile = dir.resolve(CONFIG);
        if (!Files.isRegularFile(configFile)) {
            throw new NoSuchFileException(dir + ": no " + CONFIG + " (not a PEFT adapter folder)");
        }
        JsonNode c = JSON.readTree(configFile.toFile());
        String where = configFile + ": ";
        if (!c.path("peft_type").asText("LORA").equals("LORA")) {
            throw new IllegalArgumentException(where + "peft_type " + c.path("peft_type").asText() + " is not supported (LORA only)");
        }
        refuse(c, where, "use_dora", v -> v.asBoolean(false), "DoRA adapters (use_dora) are not supported");
        refuse(c, where, "bias", v -> !v.asText("none").equals("none"), "trained biases (bias != none) are not supported");
        refuse(c, where, "lora_bias", v -> v.asBoolean(false), "lora_bias is not supported");
        refuse(c, where, "fan_in_fan_out", v -> v.asBoolean(false), "fan_in_fan_out (Conv1D weights) is not supported");
        refuse(c, where, "modules_to_save", v -> !v.isNull() && !(v.isArray() && v.isEmpty()), "modules_to_save (fully trained extra modules) is not supported");
        refuse(c, where, "layer_replication", v -> !v.isNull(), "layer_replication is not supported");
        refuse(c, where, "trainable_token_indices", v -> !v.isNull(), "trainable_token_indices is not supported");
        int r = c.path("r").asInt(8);
        double alpha = c.path("lora_alpha").asDouble(8);
        boolean rslora = c.path("use_rslora").asBoolean(false);
        Map<String, Double> alphaPattern = new LinkedHashMap<>();
        c.path("alpha_pattern").fields().forEachRemaining(e -> alphaPattern.put(e.getKey(), e.getValue().asDouble()));

        Path weights = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(weights)) {
            throw new NoSuchFileException(dir + ": no " + WEIGHTS + (Files.exists(dir.resolve("adapter_model.bin"))
                    ? " (adapter_model.bin, a pickle, is not read: save the adapter with PEFT's default safe_serialization=True)" : ""));
        }
        Map<String, long[]> layout = ParameterLayout.of(model).shapes();
        NDManager own = parent.newSubManager();
        try (SafetensorsFile f = SafetensorsFile.open(weights)) {
            Map<String, TensorInfo[]> pairs = pairs(f, layout);
            Map<String, LoraAdapters.Module> modules = new LinkedHashMap<>();
            List<String> targets = new ArrayList<>();
            for (String name : LoraAdapters.moduleNames(model, LoraConfig.MODULES)) {
                TensorInfo[] ab = pairs.get(name);
                if (ab == null) {
                    continue;
                }
                long[] w = layout.get(name + ".weight");
                long rank = ab[0].shape()[0];
                if (ab[0].shape().length != 2 || ab[1].shape().length != 2 || ab[0].shape()[1] != w[1] || ab[1].shape()[0] != w[0] || ab[1].shape()[1] != rank) {
                    throw new SafetensorsException(weights, name + ": lora_A " + Arrays.toString(ab[0].shape()) + " and lora_B " + Arrays.toString(ab[1].shape())
                            + " do not fit the weight " + Arrays.toString(w) + " (expected [r, " + w[1] + "] and [" + w[0] + ", r])");
                }
                double moduleAlpha = alphaPattern.entrySet().stream().filter(e -> Pattern.matches("(.*\\.)?(" + e.getKey() + ")", name)).map(Map.Entry::getValue)
                        .findFirst().orElse(alpha);
                modules.put(name, new LoraAdapters.Module(array(f, ab[0], own), array(f, ab[1], own), LoraConfig.scaling((int) rank, moduleAlpha, rslora)));
                String shortName = name.substring(name.lastIndexOf('.') + 1);
                if (!targets.contains(shortName)) {
                    targets.add(shortName);
                }
            }
            LoraConfig config = LoraConfig.of(r, alpha, c.path("lora_dropout").asDouble(0), targets, rslora);
            return new LoraAdapters(config, own, modules);
        } catch (IOException | RuntimeException e) {
            own.close();
            throw e;
        }
    }

    /** The file's tensors as {A, B} pairs by module name, every name checked. */
    private static Map<String, TensorInfo[]> pairs(SafetensorsFile f, Map<String, long[]> layout) throws SafetensorsException {
        Map<String, TensorInfo[]> pairs = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (TensorInfo t : f.tensors().values()) {
            Matcher m = TENSOR.matcher(t.name());
            String module = m.matches() ? m.group(1) : null;
            if (module == null || !layout.containsKey(module + ".weight") || !LoraConfig.MODULES.contains(module.substring(module.lastIndexOf('.') + 1))) {
                problems.add("tensor '" + t.name() + "' is not a LoRA A/B weight of a q/k/v/o/gate/up/down projection of this model");
                continue;
            }
            if (!t.dtype().floatReadable()) {
                problems.add("tensor '" + t.name() + "' has dtype " + t.dtype());
                continue;
            }
            pairs.computeIfAbsent(module, k -> new TensorInfo[2])[m.group(2).equals("A") ? 0 : 1] = t;
        }
        pairs.forEach((module, ab) -> {
            if (ab[0] == null || ab[1] == null) {
                problems.add(module + " has lora_" + (ab[0] == null ? "B" : "A") + " but no lora_" + (ab[0] == null ? "A" : "B"));
            }
        });
        if (pairs.isEmpty() && problems.isEmpty()) {
            problems.add("no LoRA tensors");
        }
        if (!problems.isEmpty()) {
            throw new SafetensorsException(f.path(), String.join("; ", problems.subList(0, Math.min(5, problems.size())))
                    + (problems.size() > 5 ? "; and " + (problems.size() - 5) + " more" : ""));
        }
        return pairs;
    }

    private static ai.djl.ndarray.NDArray array(SafetensorsFile f, TensorInfo t, NDManager m) throws IOException {
        float[] values = new float[Math.toIntExact(t.elements())];
        f.readFloats(t, 0, values, 0, values.length);
        return m.create(values, new Shape(t.shape()));
    }

    private static void refuse(JsonNode c, String where, String key, java.util.function.Predicate<JsonNode> bad, String message) {
        JsonNode v = c.get(key);
        if (v != null && bad.test(v)) {
            throw new IllegalArgumentException(where + message);
        }
    }

    /**
     * Writes adapters as a PEFT folder (float32 tensors). Modules whose rank or alpha differ from
     * the config's are listed in {@code rank_pattern} / {@code alpha_pattern} under their full
     * names, so PEFT rebuilds them exactly.
     *
     * @param dir the folder (created if absent)
     * @param adapters the adapters
     * @param baseModelNameOrPath what {@code base_model_name_or_path} records (may be null)
     * @throws IOException if a file cannot be written
     */
    public static void write(Path dir, LoraAdapters adapters, String baseModelNameOrPath) throws IOException {
        Files.createDirectories(dir);
        List<SafetensorsWriter.Source> sources = new ArrayList<>();
        adapters.parameters().forEach((name, array) -> sources.add(new ArraySource(PREFIX + name, array)));
        new SafetensorsWriter(DType.F32, Long.MAX_VALUE).writeSingle(dir.resolve(WEIGHTS), sources);

        LoraConfig lc = adapters.config();
        ObjectNode c = JSON.createObjectNode();
        c.put("peft_type", "LORA");
        c.put("task_type", "CAUSAL_LM");
        c.put("base_model_name_or_path", baseModelNameOrPath);
        c.put("r", lc.r());
        c.put("lora_alpha", lc.alpha());
        c.put("lora_dropout", lc.dropout());
        lc.targetModules().forEach(c.putArray("target_modules")::add);
        c.put("use_rslora", lc.useRslora());
        c.put("bias", "none");
        c.put("fan_in_fan_out", false);
        c.put("inference_mode", true);
        c.put("init_lora_weights", true);
        c.putNull("modules_to_save");
        c.put("use_dora", false);
        ObjectNode ranks = c.putObject("rank_pattern");
        ObjectNode alphas = c.putObject("alpha_pattern");
        adapters.modules().forEach((name, m) -> {
            if (m.rank() != lc.r()) {
                ranks.put(name, m.rank());
            }
            double alpha = lc.useRslora() ? m.scaling() * Math.sqrt(m.rank()) : m.scaling() * m.rank();
            if (Math.abs(alpha - lc.alpha()) > 1e-9 * Math.max(1, lc.alpha())) {
                alphas.put(name, alpha);
            }
        });
        Path tmp = dir.resolve(CONFIG + ".tmp");
        Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c) + "\n");
        Files.move(tmp, dir.resolve(CONFIG), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
