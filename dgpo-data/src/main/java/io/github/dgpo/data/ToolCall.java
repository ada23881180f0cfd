package io.github.dgpo.data;

import java.util.Map;
import java.util.Objects;

/**
 * One tool call of an assistant message, as HF chat templates read it: {@code {"type":
 * "function", "function": {"name": ..., "arguments": ...}}} (plus {@code "id"} when given).
 *
 * @param id the call's id, or null
 * @param name the function's name
 * @param arguments a mapping (rendered by the template, usually with {@code tojson}) or a string
 *     holding JSON (rendered as it is), as transformers accepts either
 */
public record ToolCall(String id, String name, Object arguments) {

    /** Checks the name is present and the arguments are a mapping or a string. */
    public ToolCall {
        Objects.requireNonNull(name, "name");
        if (!(arguments instanceof Map) && !(arguments instanceof String)) {
            throw new IllegalArgumentException("tool call arguments must be a mapping or a JSON string, got " + arguments);
        }
    }
}
