package io.github.dgpo.data.read;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.dgpo.data.BadRowException;
import io.github.dgpo.data.DropReasons;
import io.github.dgpo.data.Message;
import java.util.List;

/** Typed access to a row's fields; every defect is a {@link BadRowException} naming the field. */
final class RowFields {

    private RowFields() {}

    static JsonNode required(JsonNode row, String field) {
        JsonNode v = row.get(field);
        if (v == null || v.isNull()) {
            throw new BadRowException(DropReasons.MISSING_FIELD, "field '" + field + "' is missing");
        }
        return v;
    }

    static String text(JsonNode row, String field) {
        JsonNode v = required(row, field);
        if (!v.isTextual()) {
            throw new BadRowException(DropReasons.WRONG_TYPE, "field '" + field + "' must be a string, got " + v.getNodeType().toString().toLowerCase());
        }
        return v.asText();
    }

    static String completion(JsonNode row, String field) {
        return nonEmpty(text(row, field), field);
    }

    static String nonEmpty(String completion, String field) {
        if (completion.isBlank()) {
            throw new BadRowException(DropReasons.EMPTY_COMPLETION, "field '" + field + "' is empty");
        }
        return completion;
    }

    static Double optionalNumber(JsonNode row, String field) {
        JsonNode v = row.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            throw new BadRowException(DropReasons.WRONG_TYPE, "field '" + field + "' must be a number, got " + v);
        }
        return v.asDouble();
    }

    /** A list of messages ({@link ChatJson#messages}). */
    static List<Message> messages(JsonNode row, String field) {
        return ChatJson.messages(required(row, field), field);
    }

    /** The last message of a conversation field: the assistant's, and not blank. */
    static Message lastAssistant(List<Message> messages, String field) {
        if (messages.isEmpty() || !messages.get(messages.size() - 1).role().equals("assistant")) {
            throw new BadRowException(DropReasons.WRONG_TYPE, "the last message of '" + field + "' must be the assistant's");
        }
        Message last = messages.get(messages.size() - 1);
        if (last.isBlank()) {
            throw new BadRowException(DropReasons.EMPTY_COMPLETION, "field '" + field + "' is empty");
        }
        return last;
    }

    /** A prompt given as a string (one user message) or a message list. */
    static List<Message> prompt(JsonNode row, String field) {
        JsonNode v = required(row, field);
        if (v.isTextual()) {
            return List.of(Message.user(v.asText()));
        }
        return messages(row, field);
    }
}
