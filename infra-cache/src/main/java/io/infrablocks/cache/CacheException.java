package io.infrablocks.cache;

/** The base of the cache's exceptions, e.g. a failed load or a write-back store that cannot keep up. */
public class CacheException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message what happened and the state involved
     */
    public CacheException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a cause.
     *
     * @param message what happened and the state involved
     * @param cause the underlying failure
     */
    public CacheException(String message, Throwable cause) {
        super(message, cause);
    }
}
