package io.github.dgpo.data;

/** A row that cannot become an example, with the reason it is counted under. */
public class BadRowException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String reason;

    /**
     * Creates the exception.
     *
     * @param reason the counted reason (one of {@link DropReasons})
     * @param detail what exactly is wrong
     */
    public BadRowException(String reason, String detail) {
        super(reason + ": " + detail);
        this.reason = reason;
    }

    /**
     * Returns the counted reason.
     *
     * @return the reason
     */
    public String reason() {
        return reason;
    }
}
