package io.github.dgpo.data;

import java.util.Objects;
import java.util.Set;

/**
 * One chat message.
 *
 * @param role {@code system}, {@code user} or {@code assistant}
 * @param content the text
 */
public record Message(String role, String content) {

    /** The roles a preference prompt may contain. */
    public static final Set<String> ROLES = Set.of("system", "user", "assistant");

    /** Checks the fields are present. */
    public Message {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
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
}
