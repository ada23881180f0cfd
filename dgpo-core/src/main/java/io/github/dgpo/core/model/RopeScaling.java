package io.github.dgpo.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Rotary-embedding frequency scaling from {@code rope_scaling} / {@code rope_parameters}.
 *
 * @param type {@code default}, {@code linear} or {@code llama3}
 * @param factor scaling factor (linear, llama3)
 * @param lowFreqFactor llama3 only
 * @param highFreqFactor llama3 only
 * @param originalMaxPositions llama3 only: {@code original_max_position_embeddings}
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {

    /** No scaling. */
    public static final RopeScaling NONE = new RopeScaling("default", 1, 0, 0, 0);

    /**
     * Reads a {@code rope_scaling} (or {@code rope_parameters}) object: {@code rope_type} or
     * the older {@code type}; {@code default}, {@code linear} or {@code llama3}.
     *
     * @param s the object, or null
     * @param source where it came from, for messages
     * @return the scaling ({@link #NONE} for null or {@code default})
     */
    static RopeScaling parse(JsonNode s, String source) {
        if (s == null || s.isNull()) {
            return NONE;
        }
        if (!s.isObject()) {
            throw new IllegalArgumentException(source + ": rope scaling must be an object or null, got " + s);
        }
        ConfigFields f = new ConfigFields((ObjectNode) s, source, "rope scaling field");
        String type = s.hasNonNull("rope_type") ? f.text("rope_type", "default") : f.text("type", "default");
        return switch (type) {
            case "default" -> NONE;
            case "linear" -> new RopeScaling("linear", f.number("factor", 1, true), 0, 0, 0);
            case "llama3" -> new RopeScaling(
                    "llama3",
                    f.number("factor", 8, true),
                    f.number("low_freq_factor", 1, true),
                    f.number("high_freq_factor", 4, true),
                    f.optionalSize("original_max_position_embeddings", Integer.MAX_VALUE, 8192));
            default -> throw new IllegalArgumentException(source + ": rope scaling type '" + type + "' is not supported (default, linear, llama3)");
        };
    }

    /**
     * Returns the inverse frequencies {@code 1/θ^(2i/d)} after scaling, as HF computes them.
     *
     * @param theta {@code rope_theta}
     * @param headDim rotary dimension
     * @return {@code headDim/2} inverse frequencies
     */
    public double[] inverseFrequencies(double theta, int headDim) {
        double[] inv = new double[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
        }
        switch (type) {
            case "default" -> { }
            case "linear" -> {
                for (int i = 0; i < inv.length; i++) {
                    inv[i] /= factor;
                }
            }
            case "llama3" -> {
                double lowWavelen = originalMaxPositions / lowFreqFactor;
                double highWavelen = originalMaxPositions / highFreqFactor;
                for (int i = 0; i < inv.length; i++) {
                    double wavelen = 2 * Math.PI / inv[i];
                    if (wavelen > lowWavelen) {
                        inv[i] /= factor;
                    } else if (wavelen >= highWavelen) {
                        double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                        inv[i] = (1 - smooth) * inv[i] / factor + smooth * inv[i];
                    }
                }
            }
            default -> throw new IllegalStateException("rope type " + type);
        }
        return inv;
    }
}
