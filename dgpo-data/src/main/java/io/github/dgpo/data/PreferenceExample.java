package io.github.dgpo.data;

import java.util.List;
import java.util.Map;

/**
 * One preference pair, whatever format it was read from.
 *
 * @param prompt the conversation before the compared assistant turn
 * @param chosen the preferred assistant message
 * @param rejected the dispreferred assistant message
 * @param tools the JSON schemas of the functions the conversation may call (transformers'
 *     {@code tools=}); empty for none
 * @param scoreChosen the chosen response's score, or null
 * @param scoreRejected the rejected response's score, or null
 * @param source file and line
 */
public record PreferenceExample(List<Message> prompt, Message chosen, Message rejected, List<Map<String, Object>> tools,
        Double scoreChosen, Double scoreRejected, Source source) {

    /** Makes the prompt and the tools immutable. */
    public PreferenceExample {
        prompt = List.copyOf(prompt);
        tools = tools == null ? List.of() : List.copyOf(tools);
    }

    /**
     * A pair of text completions without tools.
     *
     * @param prompt the conversation before the compared assistant turn
     * @param chosen the preferred assistant response
     * @param rejected the dispreferred assistant response
     * @param scoreChosen the chosen response's score, or null
     * @param scoreRejected the rejected response's score, or null
     * @param source file and line
     */
    public PreferenceExample(List<Message> prompt, String chosen, String rejected, Double scoreChosen, Double scoreRejected, Source source) {
        this(prompt, Message.assistant(chosen), Message.assistant(rejected), List.of(), scoreChosen, scoreRejected, source);
    }
}
