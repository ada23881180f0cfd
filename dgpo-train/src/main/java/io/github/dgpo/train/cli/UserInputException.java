package io.github.dgpo.train.cli;

/**
 * A problem with what the user gave (a file, a line, a field, an option), reported as one
 * message without a stack trace and a non-zero exit.
 */
public class UserInputException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong and where
     */
    public UserInputException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what is wrong and where
     * @param cause the underlying error
     */
    public UserInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
