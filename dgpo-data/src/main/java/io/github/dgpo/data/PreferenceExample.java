package io.github.dgpo.data;

import java.util.List;

/**
 * One preference pair, whatever format it was read from.
 *
 * @param prompt the conversation before the compared assistant turn
 * @param chosen the preferred assistant response
 * @param rejected the dispreferred assistant response
 * @param scoreChosen the chosen response's score, or null
 * @param scoreRejected the rejected response's score, or null
 * @param source file and line
 */
public record PreferenceExample(List<Message> prompt, String chosen, String rejected, Double scoreChosen, Double scoreRejected, Source source) {

    /** Makes the prompt immutable. */
    public PreferenceExample {
        prompt = List.copyOf(prompt);
    }
}
