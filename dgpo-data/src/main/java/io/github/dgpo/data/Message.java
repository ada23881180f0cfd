package io.github.dgpo.data;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One chat message, with the fields HF chat templates read besides role and content.
 *
 * @param role {@code system}, {@code user}, {@code assistant} or {@code tool}
 * @param content the text (empty for an assistant message that only calls tools)
 * @param reasoningContent the assistant's reasoning (Qwen3's thinking text), or null
 * @param toolCalls the tools an assistant message calls; empty for none
 */
public record Message(String role, String content, String reasoningContent, List<ToolCall> toolCalls) {

    /** The roles a conversation may contain. */
    public static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");

    /** Checks the fields are present. */
    public Message {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    }

    /**
     * A message of text only.
     *
     * @param role the role
     * @param content the text
     */
    public Message(String role, String content) {
        this(role, content, null, List.of());
    }

    /**
     * A user message.
     *
     * @param content the text
     * @return the message
     */
    public static Message user(String content) {
        return new Message("user", content);
    }

    /**
     * An assistant message.
     *
     * @param content the text
     * @return the message
     */
    public static Message assistant(String content) {
        return new Message("assistant", content);
    }

    /**
     * A system message.
     *
     * @param content the text
     * @return the message
     */
    public static Message system(String content) {
        return new Message("system", content);
    }

    /**
     * A tool's response.
     *
     * @param content the text
     * @return the message
     */
    public static Message tool(String content) {
        return new Message("tool", content);
    }

    /** @return whether the message is text only: no reasoning and no tool calls */
    public boolean isTextOnly() {
        return reasoningContent == null && toolCalls.isEmpty();
    }

    /** @return whether the message says nothing: blank content and reasoning, no tool calls */
    public boolean isBlank() {
        return content.isBlank() && (reasoningContent == null || reasoningContent.isBlank()) && toolCalls.isEmpty();
    }
}
