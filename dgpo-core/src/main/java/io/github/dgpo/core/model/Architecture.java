package io.github.dgpo.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/** The supported decoder-only architectures, as HF names them. */
public enum Architecture {
    /** Llama 2/3: untied or tied head, optional attention and MLP biases. */
    LLAMA("LlamaForCausalLM", "llama"),
    /** Mistral: Llama plus an optional sliding window. */
    MISTRAL("MistralForCausalLM", "mistral"),
    /** Qwen2 / Qwen2.5: q/k/v projection biases. */
    QWEN2("Qwen2ForCausalLM", "qwen2"),
    /** Qwen3: per-head RMSNorm on q and k, explicit head_dim. */
    QWEN3("Qwen3ForCausalLM", "qwen3");

    private final String className;
    private final String modelType;

    Architecture(String className, String modelType) {
        this.className = className;
        this.modelType = modelType;
    }

    /**
     * Returns the HF class name written in {@code architectures}.
     *
     * @return e.g. {@code LlamaForCausalLM}
     */
    public String className() {
        return className;
    }

    /**
     * Returns the HF {@code model_type}.
     *
     * @return e.g. {@code llama}
     */
    public String modelType() {
        return modelType;
    }

    /**
     * Finds an architecture by class name or model type.
     *
     * @param name an {@code architectures} entry or a {@code model_type}
     * @return the architecture, or null
     */
    public static Architecture find(String name) {
        for (Architecture a : values()) {
            if (a.className.equals(name) || a.modelType.equals(name)) {
                return a;
            }
        }
        return null;
    }

    /**
     * The architecture a config names: the first {@code architectures} entry or {@code
     * model_type} that is supported.
     *
     * @param json the config
     * @param source where it came from, for messages
     * @return the architecture
     * @throws IllegalArgumentException when none is supported
     */
    static Architecture of(JsonNode json, String source) {
        JsonNode archs = json.get("architectures");
        List<String> names = new ArrayList<>();
        if (archs != null && archs.isArray()) {
            archs.forEach(a -> names.add(a.asText()));
        }
        if (json.hasNonNull("model_type")) {
            names.add(json.get("model_type").asText());
        }
        for (String n : names) {
            Architecture a = find(n);
            if (a != null) {
                return a;
            }
        }
        throw new IllegalArgumentException(source + ": unsupported architecture " + (names.isEmpty() ? "(none given)" : names) + "; supported: " + supported());
    }

    /**
     * Lists the supported names, for error messages.
     *
     * @return e.g. {@code LlamaForCausalLM (llama), ...}
     */
    public static String supported() {
        return Arrays.stream(values()).map(a -> a.className + " (" + a.modelType + ")").collect(Collectors.joining(", "));
    }
}
