package io.infrablocks.pool;

import java.time.Duration;

/**
 * Receives a pool's events, e.g. to feed a metrics system. Every method defaults to a no-op; none is
 * called on the uncontended acquire/release path, so a listener costs nothing there. Methods are called
 * from pool threads or the acquiring thread and must not block.
 */
public interface PoolListener {

    /** A listener that ignores everything. */
    PoolListener NO_OP = new PoolListener() {};

    /**
     * A resource was created.
     *
     * @param took how long creation took
     */
    default void created(Duration took) {}

    /**
     * Creating a resource failed; the pool retries with backoff.
     *
     * @param error the failure
     */
    default void creationFailed(Throwable error) {}

    /**
     * A resource was destroyed.
     *
     * @param reason why, e.g. {@code "idle"}, {@code "lifetime"}, {@code "invalid"}, {@code "evicted"},
     *     {@code "closed"}
     */
    default void destroyed(String reason) {}

    /**
     * An acquire timed out or was rejected.
     *
     * @param error the exception thrown to the caller
     */
    default void acquireFailed(PoolException error) {}

    /**
     * A lease was held longer than the leak-detection threshold.
     *
     * @param heldFor how long it has been held
     * @param borrower the stack trace of the acquire that borrowed it
     */
    default void leakDetected(Duration heldFor, Throwable borrower) {}
}
