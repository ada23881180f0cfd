package io.github.dgpo.core.model;

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
