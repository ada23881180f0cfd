package io.github.dgpo.data.read;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.dgpo.data.BadRowException;
import io.github.dgpo.data.DropReasons;
import io.github.dgpo.data.ReadReport;
import io.github.dgpo.data.UnpairedExample;
import java.nio.file.Path;
import java.util.List;

/** KTO's unpaired form: {@code {prompt, completion, label}} with a boolean label (true = desirable). */
public final class KtoReader {

    private KtoReader() {}

    /**
     * Reads a file or a folder of files.
     *
     * @param path the data
     * @param split split name to select files in a folder, or null
     * @param report counts
     * @return the examples
     */
    public static List<UnpairedExample> read(Path path, String split, ReadReport report) {
        return RowSources.collect(path, split, report, (row, source) -> {
            JsonNode label = RowFields.required(row, "label");
            if (!label.isBoolean()) {
                throw new BadRowException(DropReasons.WRONG_TYPE, "field 'label' must be true or false, got " + label);
            }
            return List.of(new UnpairedExample(RowFields.prompt(row, "prompt"), RowFields.completion(row, "completion"), label.asBoolean(), source));
        });
    }
}
