package io.github.dgpo.data;

/** A dataset that cannot be read: a missing file, an unknown format, or a bad row in strict mode. */
public class DataFormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what and where
     */
    public DataFormatException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what and where
     * @param cause the underlying error
     */
    public DataFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
