package io.github.dgpo.data;

import java.util.List;

/**
 * One KTO example: a prompt, a completion and whether it is desirable.
 *
 * @param prompt the conversation before the assistant turn
 * @param completion the assistant response
 * @param desirable the label
 * @param source file and line
 */
public record UnpairedExample(List<Message> prompt, String completion, boolean desirable, Source source) {

    /** Makes the prompt immutable. */
    public UnpairedExample {
        prompt = List.copyOf(prompt);
    }
}
