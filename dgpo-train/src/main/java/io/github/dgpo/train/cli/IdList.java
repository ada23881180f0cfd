package io.github.dgpo.train.cli;

import java.util.Arrays;

/** Parses comma-separated integers from the command line. */
final class IdList {

    private IdList() {}

    static long[] parse(String option, String text) {
        try {
            return Arrays.stream(text.split(",")).map(String::trim).filter(s -> !s.isEmpty()).mapToLong(Long::parseLong).toArray();
        } catch (NumberFormatException e) {
            throw new UserInputException(option + " must be comma-separated integers, got '" + text + "'");
        }
    }
}
