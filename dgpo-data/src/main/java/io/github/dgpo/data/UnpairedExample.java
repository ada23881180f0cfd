package io.github.dgpo.data;

import java.util.List;
import java.util.Map;

/**
 * One KTO example: a prompt, a completion and whether it is desirable.
 *
 * @param prompt the conversation before the assistant turn
 * @param completion the assistant message
 * @param tools the JSON schemas of the functions the conversation may call; empty for none
 * @param desirable the label
 * @param source file and line
 */
public record UnpairedExample(List<Message> prompt, Message completion, List<Map<String, Object>> tools, boolean desirable, Source source) {

    /** Makes the prompt and the tools immutable. */
    public UnpairedExample {
        prompt = List.copyOf(prompt);
        tools = tools == null ? List.of() : List.copyOf(tools);
    }

    /**
     * A text completion without tools.
     *
     * @param prompt the conversation before the assistant turn
     * @param completion the assistant response
     * @param desirable the label
     * @param source file and line
     */
    public UnpairedExample(List<Message> prompt, String completion, boolean desirable, Source source) {
        this(prompt, Message.assistant(completion), List.of(), desirable, source);
    }
}
