package io.infrablocks.journal;

/** The base of the journal's exceptions: an I/O failure, a commit that cannot be made durable, misuse. */
public class JournalException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message what happened, with the file and position where relevant
     */
    public JournalException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a cause.
     *
     * @param message what happened, with the file and position where relevant
     * @param cause the underlying failure
     */
    public JournalException(String message, Throwable cause) {
        super(message, cause);
    }
}
