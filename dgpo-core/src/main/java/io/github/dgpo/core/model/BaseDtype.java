package io.github.dgpo.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/**
 * How a model's frozen weights are held in memory. {@link #FLOAT16} keeps the decoder layers'
 * projection weights (and an untied input embedding) in float16, half the memory of float32; each
 * is widened to float32 for the one operation that uses it, so activations, adapters and the
 * loss stay float32. Norm weights and biases (small) and the output head stay float32: every
 * head chunk uses the whole {@code [V, H]} head, and a widened copy held through the pass would
 * cost more at the peak (float16 plus float32) than keeping it float32. Only frozen weights may be
 * float16: a full fine-tune trains float32 weights.
 */
public enum BaseDtype {
    /** Every weight in float32. */
    FLOAT32,
    /** Projection weights (and an untied embedding) in float16. */
    FLOAT16;

    /** Largest finite float16 value. */
    public static final float FLOAT16_MAX = 65504f;

    /**
     * Parses a config value.
     *
     * @param name {@code float32} or {@code float16}
     * @return the dtype
     */
    public static BaseDtype parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "float32" -> FLOAT32;
            case "float16" -> FLOAT16;
            default -> throw new IllegalArgumentException("base_dtype must be float32 or float16, got '" + name + "'");
        };
    }

    /**
     * Returns the config spelling.
     *
     * @return {@code float32} or {@code float16}
     */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Returns whether a parameter is held in float16 under this dtype.
     *
     * @param name HF parameter name
     * @param config the model's config
     * @return true for a narrowed parameter
     */
    public boolean narrows(String name, ModelConfig config) {
        if (this == FLOAT32) {
            return false;
        }
        if (name.equals("model.embed_tokens.weight")) {
            return !config.tieWordEmbeddings();
        }
        return name.startsWith("model.layers.") && name.endsWith("_proj.weight");
    }

    /**
     * Narrows a float32 weight to float16, refusing values beyond float16's range.
     *
     * @param name the parameter's name, for the message
     * @param weight float32 weight, closed by this call
     * @return the float16 copy, in the weight's manager
     * @throws IllegalArgumentException naming the tensor and how many values overflow
     */
    static NDArray narrow(String name, NDArray weight) {
        try (weight) {
            return narrowed(name, weight);
        }
    }

    private static NDArray narrowed(String name, NDArray weight) {
        long overflowing;
        try (NDArray abs = weight.abs(); NDArray over = abs.gt(FLOAT16_MAX); NDArray count = over.sum(); NDArray exact = count.toType(DataType.INT64, false)) {
            overflowing = exact.getLong();
        }
        if (overflowing > 0) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + overflowing + " values beyond float16's range (|x| > 65504);"
                    + " load it with base_dtype float32");
        }
        return weight.toType(DataType.FLOAT16, false);
    }
}
