package io.infrablocks.pool;

/**
 * The pool could not create a resource and has none to hand out: thrown at once (instead of waiting for
 * the timeout) when {@link PoolBuilder#failFast(boolean) fail-fast} is on and the database (or other
 * backend) is down. The cause is the last creation error.
 */
public class ResourceCreationException extends PoolException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message the pool state
     * @param cause the last creation error
     */
    public ResourceCreationException(String message, Throwable cause) {
        super(message, cause);
    }
}
