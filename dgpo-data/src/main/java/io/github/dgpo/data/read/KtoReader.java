package io.github.dgpo.data.read;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.dgpo.data.BadRowException;
import io.github.dgpo.data.DropReasons;
import io.github.dgpo.data.Message;
import io.github.dgpo.data.ReadReport;
import io.github.dgpo.data.UnpairedExample;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * KTO's unpaired form: {@code {prompt, completion, label}} with a boolean label (true =
 * desirable) and optional {@code tools}. The completion is a string or a message list ending
 * with the assistant's message (whose earlier messages continue the prompt), as in {@link
 * GenericJsonlReader}.
 */
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
            List<Message> prompt = RowFields.prompt(row, "prompt");
            Message completion;
            if (RowFields.required(row, "completion").isArray()) {
                List<Message> messages = RowFields.messages(row, "completion");
                completion = RowFields.lastAssistant(messages, "completion");
                if (messages.size() > 1) {
                    prompt = new ArrayList<>(prompt);
                    prompt.addAll(messages.subList(0, messages.size() - 1));
                }
            } else {
                completion = Message.assistant(RowFields.completion(row, "completion"));
            }
            return List.of(new UnpairedExample(prompt, completion, ChatJson.tools(row, "tools"), label.asBoolean(), source));
        });
    }
}
