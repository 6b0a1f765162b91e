package io.infrablocks.pool;

/** The base of the pools' exceptions, e.g. a pool exhausted or closed, a resource that cannot be created. */
public class PoolException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message what happened and the state involved
     */
    public PoolException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a cause.
     *
     * @param message what happened and the state involved
     * @param cause the underlying failure
     */
    public PoolException(String message, Throwable cause) {
        super(message, cause);
    }
}
