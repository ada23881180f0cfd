package io.github.dgpo.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dgpo.core.util.JsonFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A causal LM's {@code config.json}, read with both spellings in the wild: transformers 4's
 * top-level {@code rope_theta}/{@code rope_scaling} ({@code type} or {@code rope_type}) and
 * transformers 5's {@code rope_parameters}. Absent {@code num_key_value_heads} means the
 * attention head count; absent {@code head_dim} means {@code hidden_size / heads}. Qwen
 * configs' {@code sliding_window} applies only with {@code use_sliding_window} (and then from
 * layer {@code max_window_layers} on, or per {@code layer_types}); Mistral's applies when set.
 *
 * <p>Every field is checked before anything is built from it: sizes must be JSON integers
 * (64.5 or "64" is an error, never a truncation) within bounds far past any released model, so
 * a corrupt or hostile config fails naming the field instead of allocating for a billion
 * layers; {@code rope_theta} must be positive, {@code rms_norm_eps} not negative, {@code
 * head_dim} even.
 *
 * <p>The parsed JSON is kept, so saving writes back every field the file had.
 */
public final class ModelConfig {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Most layers accepted (the largest released models have about 130). */
    public static final int MAX_LAYERS = 1024;
    /** Largest hidden, intermediate, head and vocabulary sizes accepted. */
    private static final int MAX_WIDTH = 1 << 20;
    private static final int MAX_VOCAB = 1 << 23;
    private static final int MAX_HEADS = 4096;
    private static final int MAX_HEAD_DIM = 4096;

    /** The fields read here or written by {@link Builder}: what a random model may set. */
    static final SortedSet<String> FIELDS = Collections.unmodifiableSortedSet(new TreeSet<>(List.of(
            "architectures", "model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
            "num_key_value_heads", "head_dim", "hidden_act", "max_position_embeddings", "rms_norm_eps", "rope_theta", "rope_scaling",
            "rope_parameters", "tie_word_embeddings", "attention_bias", "mlp_bias", "sliding_window", "use_sliding_window", "max_window_layers",
            "layer_types", "initializer_range", "bos_token_id", "eos_token_id", "pad_token_id", "torch_dtype", "dtype")));

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
    private final int maxPositionEmbeddings;
    private final int bosTokenId;
    private final List<Integer> eosTokenIds;
    private final int padTokenId;

    private ModelConfig(ObjectNode json, String source) {
        ConfigFields f = new ConfigFields(json, source);
        this.json = json;
        this.architecture = Architecture.of(json, source);
        this.vocabSize = f.size("vocab_size", MAX_VOCAB);
        this.hiddenSize = f.size("hidden_size", MAX_WIDTH);
        this.intermediateSize = f.size("intermediate_size", MAX_WIDTH);
        this.layers = f.size("num_hidden_layers", MAX_LAYERS);
        this.heads = f.size("num_attention_heads", MAX_HEADS);
        this.kvHeads = f.optionalSize("num_key_value_heads", MAX_HEADS, heads);
        if (!json.hasNonNull("head_dim") && hiddenSize < heads) {
            throw new IllegalArgumentException(source + ": hidden_size " + hiddenSize + " is smaller than num_attention_heads " + heads + ": set head_dim");
        }
        this.headDim = f.optionalSize("head_dim", MAX_HEAD_DIM, hiddenSize / heads);
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException(source + ": field 'head_dim' must be even (rotary embeddings rotate pairs), got " + headDim
                    + (json.hasNonNull("head_dim") ? "" : " (hidden_size / num_attention_heads)"));
        }
        this.maxPositionEmbeddings = f.optionalSize("max_position_embeddings", Integer.MAX_VALUE, 0);
        this.rmsNormEps = f.number("rms_norm_eps", 1e-6, false);
        f.number("initializer_range", 0.02, false);
        String act = f.text("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new IllegalArgumentException(source + ": hidden_act '" + act + "' is not supported (only silu)");
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException(source + ": num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        JsonNode ropeParams = json.get("rope_parameters");
        JsonNode scaling = ropeParams != null && ropeParams.isObject() ? ropeParams : json.get("rope_scaling");
        double theta = f.number("rope_theta", 10000, true);
        if (ropeParams != null && ropeParams.has("rope_theta")) {
            theta = new ConfigFields((ObjectNode) ropeParams, source, "rope_parameters field").number("rope_theta", 10000, true);
        }
        this.ropeTheta = theta;
        this.ropeScaling = RopeScaling.parse(scaling, source);
        this.tieWordEmbeddings = f.bool("tie_word_embeddings", false);
        boolean attentionBias = f.bool("attention_bias", false);
        this.qkvBias = architecture == Architecture.QWEN2 || attentionBias;
        this.outputBias = architecture != Architecture.QWEN2 && attentionBias;
        this.mlpBias = f.bool("mlp_bias", false);
        this.slidingWindowPerLayer = slidingWindows(f, json, architecture, layers);
        this.bosTokenId = f.tokenId("bos_token_id");
        this.eosTokenIds = f.tokenIds("eos_token_id");
        this.padTokenId = f.tokenId("pad_token_id");
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
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new NoSuchFileException(file + ": no config.json in the model folder");
        }
        return parse(JsonFiles.readObject(file), file.toString());
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

    private static int[] slidingWindows(ConfigFields f, ObjectNode json, Architecture arch, int layers) {
        int[] w = new int[layers];
        int size = f.optionalInt("sliding_window", 0);
        if (size <= 0) {
            return w;
        }
        if (arch == Architecture.MISTRAL || arch == Architecture.LLAMA) {
            Arrays.fill(w, size);
            return w;
        }
        if (!f.bool("use_sliding_window", false)) {
            return w;
        }
        JsonNode types = json.get("layer_types");
        int from = f.optionalInt("max_window_layers", layers);
        for (int i = 0; i < layers; i++) {
            boolean sliding = types != null && types.isArray() && types.size() == layers
                    ? types.get(i).asText().equals("sliding_attention")
                    : i >= from;
            w[i] = sliding ? size : 0;
        }
        return w;
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

    /** @return {@code max_position_embeddings}, or 0 when the config does not say */
    public int maxPositionEmbeddings() {
        return maxPositionEmbeddings;
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
         * Sets a config field; {@link #build()} checks the value.
         *
         * @param field an HF field name this class reads (or writes, such as {@code initializer_range})
         * @param value a number, boolean, string, list, map or null
         * @return this
         * @throws IllegalArgumentException for an unknown field, listing the known ones
         */
        public Builder set(String field, Object value) {
            if (!FIELDS.contains(field)) {
                throw new IllegalArgumentException("unknown model config key '" + field + "'; valid keys: " + String.join(", ", FIELDS));
            }
            json.set(field, JSON.valueToTree(value));
            return this;
        }

        /**
         * Returns the keys {@link #set} accepts.
         *
         * @return the HF field names, sorted
         */
        public static SortedSet<String> keys() {
            return FIELDS;
        }

        /**
         * Builds the config.
         *
         * @return the config
         * @throws IllegalArgumentException naming the field at fault
         */
        public ModelConfig build() {
            return build("config");
        }

        /**
         * Builds the config, naming it in messages.
         *
         * @param source what the values came from, e.g. {@code random_model}
         * @return the config
         * @throws IllegalArgumentException naming the source and field at fault
         */
        public ModelConfig build(String source) {
            return parse(json, source);
        }
    }
}
