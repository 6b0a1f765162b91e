package io.infrablocks.cache;

/**
 * Receives the writes that a write-back cache could not store: a key the store failed {@code maxAttempts} times
 * in a row, or (without a journal) a write still unstored when {@link WriteBackCache#close()} timed out. Once
 * handed over, the write is no longer retried and no longer visible to readers of the cache. Called on a writer
 * thread (or the closing thread), never while holding a lock of the cache; exceptions are logged and ignored.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
@FunctionalInterface
public interface DeadLetterHandler<K, V> {

    /**
     * Takes responsibility for a write that was not stored.
     *
     * @param letter the write
     */
    void onDeadLetter(DeadLetter<K, V> letter);
}
