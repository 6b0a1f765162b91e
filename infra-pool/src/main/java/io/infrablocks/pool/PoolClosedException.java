package io.infrablocks.pool;

/** The pool was closed before or while the caller waited for a resource. */
public class PoolClosedException extends PoolException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message which pool, and its state
     */
    public PoolClosedException(String message) {
        super(message);
    }
}
