package io.github.dgpo.data.read;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.data.BadRowException;
import io.github.dgpo.data.DropReasons;
import io.github.dgpo.data.Message;
import io.github.dgpo.data.ToolCall;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Messages and tools read from JSON in the form transformers' {@code apply_chat_template} takes:
 * a message is {@code {role, content, reasoning_content?, tool_calls?}}; a tool call is
 * {@code {"type": "function", "function": {"name", "arguments"}, "id"?}} or the flat {@code
 * {"name", "arguments"}} (read as the nested form), its arguments a mapping or a JSON string;
 * {@code tools} is a list of JSON schemas, or a string holding one (TRL parses such strings
 * too). An assistant message that calls tools may omit {@code content} or give null: it is
 * the empty string. Other keys of a message are not read. Every defect is a {@link
 * BadRowException} naming the field.
 */
public final class ChatJson {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<LinkedHashMap<String, Object>> MAPPING = new TypeReference<>() {};

    private ChatJson() {}

    /**
     * Reads a list of messages.
     *
     * @param list the JSON array
     * @param field the field's name, for messages
     * @return the messages
     */
    public static List<Message> messages(JsonNode list, String field) {
        if (!list.isArray()) {
            throw new BadRowException(DropReasons.WRONG_TYPE, "field '" + field + "' must be a list of messages");
        }
        List<Message> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            out.add(message(list.get(i), field + "[" + i + "]"));
        }
        return out;
    }

    /**
     * Reads one message.
     *
     * @param m the JSON object
     * @param where the message's location, for messages (e.g. {@code chosen[1]})
     * @return the message
     */
    public static Message message(JsonNode m, String where) {
        if (!m.isObject()) {
            throw new BadRowException(DropReasons.WRONG_TYPE, where + " must be an object with role and content");
        }
        List<ToolCall> calls = toolCalls(m.get("tool_calls"), where + ".tool_calls");
        JsonNode role = m.get("role");
        JsonNode content = m.get("content");
        if (!calls.isEmpty() && absent(content)) {
            content = JSON.getNodeFactory().textNode("");
        }
        if (absent(role) || absent(content)) {
            throw new BadRowException(DropReasons.MISSING_FIELD, where + " needs role and content");
        }
        if (!role.isTextual() || !content.isTextual()) {
            throw new BadRowException(DropReasons.WRONG_TYPE, where + ".role and .content must be strings");
        }
        if (!Message.ROLES.contains(role.asText())) {
            throw new BadRowException(DropReasons.UNKNOWN_ROLE, where + ".role is '" + role.asText() + "' (system, user, assistant or tool)");
        }
        JsonNode reasoning = m.get("reasoning_content");
        if (!absent(reasoning) && !reasoning.isTextual()) {
            throw new BadRowException(DropReasons.WRONG_TYPE, where + ".reasoning_content must be a string");
        }
        return new Message(role.asText(), content.asText(), absent(reasoning) ? null : reasoning.asText(), calls);
    }

    private static List<ToolCall> toolCalls(JsonNode v, String where) {
        if (absent(v)) {
            return List.of();
        }
        if (!v.isArray()) {
            throw new BadRowException(DropReasons.WRONG_TYPE, where + " must be a list of tool calls");
        }
        List<ToolCall> out = new ArrayList<>(v.size());
        for (int i = 0; i < v.size(); i++) {
            JsonNode call = v.get(i);
            String at = where + "[" + i + "]";
            if (!call.isObject()) {
                throw new BadRowException(DropReasons.WRONG_TYPE, at + " must be an object");
            }
            JsonNode type = call.get("type");
            if (!absent(type) && !"function".equals(type.asText())) {
                throw new BadRowException(DropReasons.WRONG_TYPE, at + ".type is " + type + " (only \"function\" calls exist)");
            }
            JsonNode f = call;
            String fAt = at;
            if (call.has("function")) {
                f = call.get("function");
                fAt = at + ".function";
                if (!f.isObject()) {
                    throw new BadRowException(DropReasons.WRONG_TYPE, fAt + " must be an object with name and arguments");
                }
            }
            JsonNode name = f.get("name");
            JsonNode arguments = f.get("arguments");
            JsonNode id = call.get("id");
            if (absent(name) || absent(arguments)) {
                throw new BadRowException(DropReasons.MISSING_FIELD, fAt + " needs name and arguments");
            }
            if (!name.isTextual()) {
                throw new BadRowException(DropReasons.WRONG_TYPE, fAt + ".name must be a string");
            }
            if (!arguments.isObject() && !arguments.isTextual()) {
                throw new BadRowException(DropReasons.WRONG_TYPE, fAt + ".arguments must be an object or a JSON string");
            }
            if (!absent(id) && !id.isTextual()) {
                throw new BadRowException(DropReasons.WRONG_TYPE, at + ".id must be a string");
            }
            Object args = arguments.isTextual() ? arguments.asText() : JSON.convertValue(arguments, MAPPING);
            out.add(new ToolCall(absent(id) ? null : id.asText(), name.asText(), args));
        }
        return out;
    }

    /**
     * Reads a row's tools: a list of JSON schemas, or a string holding one.
     *
     * @param row the row
     * @param field the field's name
     * @return the schemas in their order, keys in file order; empty when the field is absent,
     *     null or an empty list
     */
    public static List<Map<String, Object>> tools(JsonNode row, String field) {
        JsonNode v = row.get(field);
        if (absent(v)) {
            return List.of();
        }
        if (v.isTextual()) {
            try {
                v = JSON.readTree(v.asText());
            } catch (JsonProcessingException e) {
                throw new BadRowException(DropReasons.WRONG_TYPE, "field '" + field + "' is a string but not JSON: " + e.getOriginalMessage());
            }
        }
        if (!v.isArray()) {
            throw new BadRowException(DropReasons.WRONG_TYPE, "field '" + field + "' must be a list of tool schemas (objects), or a string holding one");
        }
        List<Map<String, Object>> out = new ArrayList<>(v.size());
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isObject()) {
                throw new BadRowException(DropReasons.WRONG_TYPE, field + "[" + i + "] must be an object (a tool's JSON schema)");
            }
            out.add(JSON.convertValue(v.get(i), MAPPING));
        }
        return out;
    }

    private static boolean absent(JsonNode v) {
        return v == null || v.isNull() || v.isMissingNode();
    }
}
