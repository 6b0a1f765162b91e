package io.infrablocks.cache;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * A {@link CacheStore} call failed. When {@link #isPartial()}, only {@link #failedKeys()} failed and the other
 * keys of the call were stored; otherwise every key of the call failed.
 */
public class CacheStoreException extends CacheException {

    private static final long serialVersionUID = 1L;

    /** The keys that failed, when partial; not serialized (keys need not be serializable). */
    private final transient Set<Object> failedKeys;

    /** Whether only {@link #failedKeys} failed. */
    private final boolean partial;

    /**
     * A failure of every key of the call.
     *
     * @param message what happened
     * @param cause the underlying failure, may be null
     */
    public CacheStoreException(String message, Throwable cause) {
        super(message, cause);
        this.failedKeys = Set.of();
        this.partial = false;
    }

    private CacheStoreException(String message, Set<Object> failedKeys, Throwable cause) {
        super(message, cause);
        this.failedKeys = failedKeys;
        this.partial = true;
    }

    /**
     * A failure of only some keys of the call; the others were stored.
     *
     * @param message what happened
     * @param failedKeys the keys that were not stored, non-empty
     * @param cause the first underlying failure, may be null
     * @return the exception
     */
    public static CacheStoreException partial(String message, Collection<?> failedKeys, Throwable cause) {
        Objects.requireNonNull(failedKeys, "failedKeys");
        if (failedKeys.isEmpty()) {
            throw new IllegalArgumentException("failedKeys must not be empty");
        }
        return new CacheStoreException(message, Collections.unmodifiableSet(new LinkedHashSet<>(failedKeys)), cause);
    }

    /**
     * Whether only {@link #failedKeys()} failed.
     *
     * @return true for a partial failure
     */
    public boolean isPartial() {
        return partial;
    }

    /**
     * The keys that failed, for a partial failure.
     *
     * @return the keys; empty when the whole call failed (or after deserialization)
     */
    public Set<Object> failedKeys() {
        return failedKeys == null ? Set.of() : failedKeys;
    }
}
