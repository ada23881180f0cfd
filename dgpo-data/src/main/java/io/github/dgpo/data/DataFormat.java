package io.github.dgpo.data;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The dataset formats dgpo reads, under the names configs and the CLI use. */
public enum DataFormat {
    /** Anthropic HH-RLHF transcripts. */
    HH_RLHF("hh-rlhf"),
    /** UltraFeedback binarized (HuggingFaceH4/ultrafeedback_binarized), Parquet or JSONL. */
    ULTRAFEEDBACK("ultrafeedback"),
    /** UltraFeedback raw (openbmb/UltraFeedback), paired by a rule. */
    ULTRAFEEDBACK_RAW("ultrafeedback-raw"),
    /** Generic {@code {prompt, chosen, rejected}} JSONL. */
    JSONL("jsonl"),
    /** KTO unpaired {@code {prompt, completion, label}} JSONL. */
    KTO("kto");

    private final String label;

    DataFormat(String label) {
        this.label = label;
    }

    /** @return the config name */
    public String label() {
        return label;
    }

    /**
     * Parses a format name.
     *
     * @param text the name
     * @return the format
     * @throws DataFormatException listing the valid names
     */
    public static DataFormat parse(String text) {
        for (DataFormat f : values()) {
            if (f.label.equals(text.trim().toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        throw new DataFormatException("unknown dataset format '" + text + "'; valid: "
                + Arrays.stream(values()).map(DataFormat::label).collect(Collectors.joining(", ")));
    }
}
