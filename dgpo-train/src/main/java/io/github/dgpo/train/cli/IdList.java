package io.github.dgpo.train.cli;

/** Parses comma-separated integers from the command line; an empty item ({@code 1,,2}) is an error, not skipped. */
final class IdList {

    private IdList() {}

    static long[] parse(String option, String text) {
        String[] items = text.split(",", -1);
        long[] out = new long[items.length];
        for (int i = 0; i < items.length; i++) {
            String item = items[i].trim();
            if (item.isEmpty()) {
                throw new UserInputException(option + " has an empty item (number " + (i + 1) + ") in '" + text + "'; give comma-separated integers such as 1,5,9");
            }
            try {
                out[i] = Long.parseLong(item);
            } catch (NumberFormatException e) {
                throw new UserInputException(option + " must be comma-separated integers, got '" + text + "'");
            }
        }
        return out;
    }
}
