package io.github.dgpo.data;

import io.github.dgpo.data.read.GenericJsonlReader;
import io.github.dgpo.data.read.HhRlhfReader;
import io.github.dgpo.data.read.KtoReader;
import io.github.dgpo.data.read.UltraFeedbackRawReader;
import io.github.dgpo.data.read.UltraFeedbackReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Reads any supported format into {@link PreferenceExample}s or {@link UnpairedExample}s. */
public final class Datasets {

    /**
     * What to read.
     *
     * @param format the format
     * @param path a file or a folder
     * @param split split name selecting files in a folder, or null
     * @param strict fail on the first bad row
     * @param raw pairing settings for {@link DataFormat#ULTRAFEEDBACK_RAW}
     */
    public record Spec(DataFormat format, Path path, String split, boolean strict, UltraFeedbackRawReader.Options raw) {
        /**
         * A lenient spec with default pairing.
         *
         * @param format the format
         * @param path the data
         * @return the spec
         */
        public static Spec of(DataFormat format, Path path) {
            return new Spec(format, path, null, false, UltraFeedbackRawReader.Options.DEFAULT);
        }
    }

    /**
     * Preference pairs and the report of reading them.
     *
     * @param examples the pairs
     * @param report the counts
     */
    public record Pairs(List<PreferenceExample> examples, ReadReport report) {}

    /**
     * Unpaired examples and the report of reading them.
     *
     * @param examples the examples
     * @param report the counts
     */
    public record Unpaired(List<UnpairedExample> examples, ReadReport report) {}

    private Datasets() {}

    /**
     * Reads preference pairs.
     *
     * @param spec what to read
     * @return the pairs and the report
     * @throws DataFormatException for a missing path, the KTO format, or a bad row in strict mode
     */
    public static Pairs readPairs(Spec spec) {
        check(spec);
        ReadReport report = new ReadReport(spec.strict());
        List<PreferenceExample> examples = switch (spec.format()) {
            case HH_RLHF -> HhRlhfReader.read(spec.path(), report);
            case ULTRAFEEDBACK -> UltraFeedbackReader.read(spec.path(), spec.split(), report);
            case ULTRAFEEDBACK_RAW -> UltraFeedbackRawReader.read(spec.path(), spec.split(), spec.raw(), report);
            case JSONL -> GenericJsonlReader.read(spec.path(), spec.split(), report);
            case KTO -> throw new DataFormatException(spec.path() + ": format 'kto' holds unpaired examples; read it with readUnpaired");
        };
        return new Pairs(examples, report);
    }

    /**
     * Reads KTO's unpaired examples.
     *
     * @param spec what to read (format {@code kto})
     * @return the examples and the report
     */
    public static Unpaired readUnpaired(Spec spec) {
        check(spec);
        if (spec.format() != DataFormat.KTO) {
            throw new DataFormatException(spec.path() + ": unpaired examples come from format 'kto', not '" + spec.format().label() + "'");
        }
        ReadReport report = new ReadReport(spec.strict());
        return new Unpaired(KtoReader.read(spec.path(), spec.split(), report), report);
    }

    private static void check(Spec spec) {
        if (!Files.exists(spec.path())) {
            throw new DataFormatException(spec.path() + ": no such file or folder");
        }
    }
}
