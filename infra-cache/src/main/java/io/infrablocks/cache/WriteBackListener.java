package io.infrablocks.cache;

/**
 * Optional callbacks on the events of a {@link WriteBackCache}, for metrics systems. Every method defaults to a
 * no-op. Called on the cache's writer threads (or the writing thread for backpressure), never while holding a
 * lock of the cache; must be fast and must not throw.
 */
public interface WriteBackListener {

    /**
     * A store call completed.
     *
     * @param keys keys in the call
     * @param failedKeys keys that failed (0 on success)
     * @param nanos the call's duration
     */
    default void onStoreCall(int keys, int failedKeys, long nanos) {}

    /**
     * A failed key was scheduled for another attempt.
     *
     * @param key the key
     * @param attempt the attempt that failed, from 1
     * @param delayNanos the backoff before the next attempt
     * @param cause the failure
     */
    default void onRetry(Object key, int attempt, long delayNanos, Throwable cause) {}

    /**
     * A write was handed to the dead-letter handler.
     *
     * @param letter the write
     */
    default void onDeadLetter(DeadLetter<?, ?> letter) {}

    /**
     * A write waited at the dirty bound.
     *
     * @param waitedNanos how long it waited
     * @param timedOut whether it gave up (and threw {@link DirtyLimitExceededException})
     */
    default void onBackpressure(long waitedNanos, boolean timedOut) {}
}
