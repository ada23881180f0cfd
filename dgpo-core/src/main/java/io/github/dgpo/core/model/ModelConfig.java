package io.github.dgpo.core.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A causal LM's {@code config.json}, read with both spellings in the wild: transformers 4's
 * top-level {@code rope_theta}/{@code rope_scaling} ({@code type} or {@code rope_type}) and
 * transformers 5's {@code rope_parameters}. Absent {@code num_key_value_heads} means the
 * attention head count; absent {@code head_dim} means {@code hidden_size / heads}. Qwen
 * configs' {@code sliding_window} applies only with {@code use_sliding_window} (and then from
 * layer {@code max_window_layers} on, or per {@code layer_types}); Mistral's applies when set.
 *
 * <p>The parsed JSON is kept, so saving writes back every field the file had.
 */
public final class ModelConfig {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectNode json;
    private final Architecture architecture;
    private final int vocabSize;
    private final int hiddenSize;
    private final int intermediateSize;
    private final int layers;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final double rmsNormEps;
    private final double ropeTheta;
    private final RopeScaling ropeScaling;
    private final boolean tieWordEmbeddings;
    private final boolean qkvBias;
    private final boolean outputBias;
    private final boolean mlpBias;
    private final int[] slidingWindowPerLayer;
    private final int bosTokenId;
    private final List<Integer> eosTokenIds;
    private final int padTokenId;

    private ModelConfig(ObjectNode json, String source) {
        this.json = json;
        this.architecture = architectureOf(json, source);
        this.vocabSize = requiredInt(json, "vocab_size", source);
        this.hiddenSize = requiredInt(json, "hidden_size", source);
        this.intermediateSize = requiredInt(json, "intermediate_size", source);
        this.layers = requiredInt(json, "num_hidden_layers", source);
        this.heads = requiredInt(json, "num_attention_heads", source);
        this.kvHeads = optionalInt(json, "num_key_value_heads", heads);
        this.headDim = optionalInt(json, "head_dim", hiddenSize / heads);
        this.rmsNormEps = json.path("rms_norm_eps").asDouble(1e-6);
        String act = json.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new IllegalArgumentException(source + ": hidden_act '" + act + "' is not supported (only silu)");
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException(source + ": num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        JsonNode ropeParams = json.get("rope_parameters");
        JsonNode scaling = ropeParams != null && ropeParams.isObject() ? ropeParams : json.get("rope_scaling");
        double theta = json.path("rope_theta").asDouble(10000);
        if (ropeParams != null && ropeParams.has("rope_theta")) {
            theta = ropeParams.get("rope_theta").asDouble();
        }
        this.ropeTheta = theta;
        this.ropeScaling = parseScaling(scaling, source);
        this.tieWordEmbeddings = json.path("tie_word_embeddings").asBoolean(false);
        boolean attentionBias = json.path("attention_bias").asBoolean(false);
        this.qkvBias = architecture == Architecture.QWEN2 || attentionBias;
        this.outputBias = architecture != Architecture.QWEN2 && attentionBias;
        this.mlpBias = json.path("mlp_bias").asBoolean(false);
        this.slidingWindowPerLayer = slidingWindows(json, architecture, layers);
        this.bosTokenId = json.path("bos_token_id").asInt(-1);
        this.eosTokenIds = ids(json.get("eos_token_id"));
        this.padTokenId = json.path("pad_token_id").asInt(-1);
    }

    /**
     * Parses a config.
     *
     * @param json the {@code config.json} object
     * @param source where it came from, for messages
     * @return the config
     * @throws IllegalArgumentException for an unsupported architecture or a missing field
     */
    public static ModelConfig parse(JsonNode json, String source) {
        if (json == null || !json.isObject()) {
            throw new IllegalArgumentException(source + ": not a JSON object");
        }
        return new ModelConfig(((ObjectNode) json).deepCopy(), source);
    }

    /**
     * Reads {@code config.json} from a model folder.
     *
     * @param dir the folder
     * @return the config
     * @throws IOException if the file is missing or not JSON
     */
    public static ModelConfig read(Path dir) throws IOException {
        Path file = dir.resolve("config.json");
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir + ": model folder does not exist");
        }
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file + ": no config.json in the model folder");
        }
        try {
            return parse(JSON.readTree(file.toFile()), file.toString());
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Starts a config for a randomly initialised model.
     *
     * @param architecture the architecture
     * @return a builder with small defaults
     */
    public static Builder builder(Architecture architecture) {
        return new Builder(architecture);
    }

    private static Architecture architectureOf(ObjectNode json, String source) {
        JsonNode archs = json.get("architectures");
        List<String> names = new ArrayList<>();
        if (archs != null && archs.isArray()) {
            archs.forEach(a -> names.add(a.asText()));
        }
        if (json.hasNonNull("model_type")) {
            names.add(json.get("model_type").asText());
        }
        for (String n : names) {
            Architecture a = Architecture.find(n);
            if (a != null) {
                return a;
            }
        }
        throw new IllegalArgumentException(source + ": unsupported architecture " + (names.isEmpty() ? "(none given)" : names) + "; supported: " + Architecture.supported());
    }

    private static int requiredInt(ObjectNode json, String field, String source) {
        JsonNode v = json.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException(source + ": required field '" + field + "' is missing");
        }
        if (!v.canConvertToInt() || v.asInt() <= 0) {
            throw new IllegalArgumentException(source + ": field '" + field + "' must be a positive integer, got " + v);
        }
        return v.asInt();
    }

    private static int optionalInt(ObjectNode json, String field, int def) {
        JsonNode v = json.get(field);
        return v == null || v.isNull() ? def : v.asInt();
    }

    private static RopeScaling parseScaling(JsonNode s, String source) {
        if (s == null || s.isNull()) {
            return RopeScaling.NONE;
        }
        String type = s.hasNonNull("rope_type") ? s.get("rope_type").asText() : s.path("type").asText("default");
        return switch (type) {
            case "default" -> RopeScaling.NONE;
            case "linear" -> new RopeScaling("linear", s.path("factor").asDouble(1), 0, 0, 0);
            case "llama3" -> new RopeScaling(
                    "llama3",
                    s.path("factor").asDouble(8),
                    s.path("low_freq_factor").asDouble(1),
                    s.path("high_freq_factor").asDouble(4),
                    s.path("original_max_position_embeddings").asInt(8192));
            default -> throw new IllegalArgumentException(source + ": rope scaling type '" + type + "' is not supported (default, linear, llama3)");
        };
    }

    private static int[] slidingWindows(ObjectNode json, Architecture arch, int layers) {
        int[] w = new int[layers];
        JsonNode window = json.get("sliding_window");
        if (window == null || window.isNull() || window.asInt() <= 0) {
            return w;
        }
        int size = window.asInt();
        if (arch == Architecture.MISTRAL || arch == Architecture.LLAMA) {
            java.util.Arrays.fill(w, size);
            return w;
        }
        if (!json.path("use_sliding_window").asBoolean(false)) {
            return w;
        }
        JsonNode types = json.get("layer_types");
        int from = json.path("max_window_layers").asInt(layers);
        for (int i = 0; i < layers; i++) {
            boolean sliding = types != null && types.isArray() && types.size() == layers
                    ? types.get(i).asText().equals("sliding_attention")
                    : i >= from;
            w[i] = sliding ? size : 0;
        }
        return w;
    }

    private static List<Integer> ids(JsonNode v) {
        List<Integer> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (v.isArray()) {
            v.forEach(x -> out.add(x.asInt()));
        } else {
            out.add(v.asInt());
        }
        return out;
    }

    /** @return the architecture */
    public Architecture architecture() {
        return architecture;
    }

    /** @return {@code vocab_size} */
    public int vocabSize() {
        return vocabSize;
    }

    /** @return {@code hidden_size} */
    public int hiddenSize() {
        return hiddenSize;
    }

    /** @return {@code intermediate_size} */
    public int intermediateSize() {
        return intermediateSize;
    }

    /** @return {@code num_hidden_layers} */
    public int layers() {
        return layers;
    }

    /** @return {@code num_attention_heads} */
    public int heads() {
        return heads;
    }

    /** @return {@code num_key_value_heads} */
    public int kvHeads() {
        return kvHeads;
    }

    /** @return {@code head_dim} */
    public int headDim() {
        return headDim;
    }

    /** @return {@code rms_norm_eps} */
    public double rmsNormEps() {
        return rmsNormEps;
    }

    /** @return {@code rope_theta} */
    public double ropeTheta() {
        return ropeTheta;
    }

    /** @return the rope scaling */
    public RopeScaling ropeScaling() {
        return ropeScaling;
    }

    /** @return {@code tie_word_embeddings} */
    public boolean tieWordEmbeddings() {
        return tieWordEmbeddings;
    }

    /** @return whether q/k/v projections have biases */
    public boolean qkvBias() {
        return qkvBias;
    }

    /** @return whether the output projection has a bias */
    public boolean outputBias() {
        return outputBias;
    }

    /** @return whether the MLP projections have biases */
    public boolean mlpBias() {
        return mlpBias;
    }

    /**
     * Returns the sliding window of a layer.
     *
     * @param layer the layer index
     * @return the window W (query i sees keys i-W < j ≤ i), or 0 for full causal attention
     */
    public int slidingWindow(int layer) {
        return slidingWindowPerLayer[layer];
    }

    /** @return {@code bos_token_id}, or -1 */
    public int bosTokenId() {
        return bosTokenId;
    }

    /** @return {@code eos_token_id} as a list (may be empty) */
    public List<Integer> eosTokenIds() {
        return List.copyOf(eosTokenIds);
    }

    /** @return {@code pad_token_id}, or -1 */
    public int padTokenId() {
        return padTokenId;
    }

    /**
     * Returns the JSON this config was read from (a copy).
     *
     * @return the JSON object
     */
    public ObjectNode toJson() {
        return json.deepCopy();
    }

    @Override
    public String toString() {
        return architecture.className() + "(hidden=" + hiddenSize + ", layers=" + layers + ", heads=" + heads + "/" + kvHeads + ", head_dim=" + headDim + ", vocab=" + vocabSize + ")";
    }

    /** Builds the {@code config.json} of a random model. */
    public static final class Builder {
        private final ObjectNode json = JSON.createObjectNode();

        private Builder(Architecture a) {
            ArrayNode archs = json.putArray("architectures");
            archs.add(a.className());
            json.put("model_type", a.modelType());
            json.put("vocab_size", 128);
            json.put("hidden_size", 32);
            json.put("intermediate_size", 64);
            json.put("num_hidden_layers", 2);
            json.put("num_attention_heads", 4);
            json.put("num_key_value_heads", 2);
            json.put("hidden_act", "silu");
            json.put("max_position_embeddings", 2048);
            json.put("rms_norm_eps", 1e-6);
            json.put("rope_theta", 10000.0);
            json.put("tie_word_embeddings", false);
            json.put("initializer_range", 0.02);
            json.put("bos_token_id", 1);
            json.put("eos_token_id", 2);
            json.put("torch_dtype", "float32");
            if (a == Architecture.QWEN3) {
                json.put("head_dim", 8);
                json.put("attention_bias", false);
            }
        }

        /**
         * Sets any config field.
         *
         * @param field the HF field name
         * @param value a number, boolean, string or null
         * @return this
         */
        public Builder set(String field, Object value) {
            json.set(field, JSON.valueToTree(value));
            return this;
        }

        /**
         * Builds the config.
         *
         * @return the config
         */
        public ModelConfig build() {
            return parse(json, "config");
        }
    }
}
