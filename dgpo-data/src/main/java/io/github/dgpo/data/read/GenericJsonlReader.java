package io.github.dgpo.data.read;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.dgpo.data.BadRowException;
import io.github.dgpo.data.DropReasons;
import io.github.dgpo.data.Message;
import io.github.dgpo.data.PreferenceExample;
import io.github.dgpo.data.ReadReport;
import io.github.dgpo.data.Source;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Generic JSONL: {@code {prompt, chosen, rejected}}, each a string or a message list, and an
 * optional {@code tools} list of function schemas ({@link ChatJson}). A string prompt is one
 * user message; a message-list completion must end with the assistant's message (which may
 * carry {@code tool_calls} and {@code reasoning_content}), and when the row has no {@code
 * prompt} the lists' shared head is the prompt.
 */
public final class GenericJsonlReader {

    private GenericJsonlReader() {}

    /**
     * Reads a file or a folder of files.
     *
     * @param path the data
     * @param split split name to select files in a folder, or null
     * @param report counts
     * @return the pairs
     */
    public static List<PreferenceExample> read(Path path, String split, ReadReport report) {
        return RowSources.collect(path, split, report, (row, source) -> List.of(parse(row, source)));
    }

    static PreferenceExample parse(JsonNode row, Source source) {
        JsonNode chosenNode = RowFields.required(row, "chosen");
        JsonNode rejectedNode = RowFields.required(row, "rejected");
        List<Message> prompt = row.hasNonNull("prompt") ? RowFields.prompt(row, "prompt") : null;
        Message chosen;
        Message rejected;
        if (chosenNode.isArray() || rejectedNode.isArray()) {
            List<Message> c = RowFields.messages(row, "chosen");
            List<Message> r = RowFields.messages(row, "rejected");
            chosen = RowFields.lastAssistant(c, "chosen");
            rejected = RowFields.lastAssistant(r, "rejected");
            List<Message> head = c.subList(0, c.size() - 1);
            if (!head.equals(r.subList(0, r.size() - 1))) {
                throw new BadRowException(DropReasons.PROMPT_MISMATCH, "chosen[:-1] and rejected[:-1] differ");
            }
            if (prompt == null) {
                prompt = head;
            } else if (!head.isEmpty()) {
                List<Message> full = new ArrayList<>(prompt);
                full.addAll(head);
                prompt = full;
            }
        } else {
            chosen = Message.assistant(RowFields.completion(row, "chosen"));
            rejected = Message.assistant(RowFields.completion(row, "rejected"));
        }
        if (prompt == null || prompt.isEmpty()) {
            throw new BadRowException(DropReasons.MISSING_FIELD, "field 'prompt' is missing");
        }
        if (chosen.equals(rejected)) {
            throw new BadRowException(DropReasons.IDENTICAL, "chosen and rejected are identical");
        }
        return new PreferenceExample(prompt, chosen, rejected, ChatJson.tools(row, "tools"),
                RowFields.optionalNumber(row, "score_chosen"), RowFields.optionalNumber(row, "score_rejected"), source);
    }
}
