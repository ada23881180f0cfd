package io.github.dgpo.data.read;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.dgpo.data.BadRowException;
import io.github.dgpo.data.DropReasons;
import io.github.dgpo.data.Message;
import java.util.ArrayList;
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

    /** A list of {@code {role, content}} objects. */
    static List<Message> messages(JsonNode row, String field) {
        JsonNode v = required(row, field);
        if (!v.isArray()) {
            throw new BadRowException(DropReasons.WRONG_TYPE, "field '" + field + "' must be a list of messages");
        }
        List<Message> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode m = v.get(i);
            String where = field + "[" + i + "]";
            if (!m.isObject()) {
                throw new BadRowException(DropReasons.WRONG_TYPE, where + " must be an object with role and content");
            }
            JsonNode role = m.get("role");
            JsonNode content = m.get("content");
            if (role == null || role.isNull() || content == null || content.isNull()) {
                throw new BadRowException(DropReasons.MISSING_FIELD, where + " needs role and content");
            }
            if (!role.isTextual() || !content.isTextual()) {
                throw new BadRowException(DropReasons.WRONG_TYPE, where + ".role and .content must be strings");
            }
            if (!Message.ROLES.contains(role.asText())) {
                throw new BadRowException(DropReasons.UNKNOWN_ROLE, where + ".role is '" + role.asText() + "' (system, user or assistant)");
            }
            out.add(new Message(role.asText(), content.asText()));
        }
        return out;
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
