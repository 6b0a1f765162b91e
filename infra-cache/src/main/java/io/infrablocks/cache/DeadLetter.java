package io.infrablocks.cache;

import java.util.Objects;

/**
 * A write the write-back cache gave up storing, handed to the {@link DeadLetterHandler}.
 *
 * @param key the key
 * @param value the value that was to be written, or null for a delete
 * @param delete whether the write was a delete
 * @param attempts how many store attempts failed
 * @param reason why the cache gave up
 * @param lastFailure the last store failure, or null when the cache closed before trying
 * @param <K> the key type
 * @param <V> the value type
 */
public record DeadLetter<K, V>(K key, V value, boolean delete, int attempts, Reason reason, Throwable lastFailure) {

    /** Why a write became a dead letter. */
    public enum Reason {
        /** The store failed the key {@code maxAttempts} times in a row. */
        ATTEMPTS_EXHAUSTED,
        /** The cache closed (without a journal) before the write could be stored. */
        CLOSED
    }

    /** Validates the components. */
    public DeadLetter {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(reason, "reason");
        if (!delete) {
            Objects.requireNonNull(value, "value");
        }
    }
}
