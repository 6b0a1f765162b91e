package io.infrablocks.pool;

/**
 * No resource could be handed out in time, or the wait queue was full. The message carries the pool's
 * state and the bound hit, e.g. {@code pool 'orders' exhausted: 10 active, 0 idle, 37 waiting, timed out
 * after 250 ms}. When resource creation was failing at the time, the last creation error is the cause.
 */
public class PoolExhaustedException extends PoolException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message the pool state and the bound hit
     * @param cause the last creation error, or null
     */
    public PoolExhaustedException(String message, Throwable cause) {
        super(message, cause);
    }
}
