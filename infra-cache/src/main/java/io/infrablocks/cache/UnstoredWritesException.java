package io.infrablocks.cache;

import java.util.List;

/**
 * {@link WriteBackCache#close()} timed out before every write was stored. With a journal the writes are safe and
 * replayed to the store the next time the cache opens on the same directory; without one they were handed to
 * the dead-letter handler.
 */
public class UnstoredWritesException extends CacheException {

    private static final long serialVersionUID = 1L;

    /** The keys whose latest write was not stored; not serialized (keys need not be serializable). */
    private final transient List<Object> unstoredKeys;

    /**
     * Creates an exception.
     *
     * @param message the cache, the count, the timeout and where the writes went
     * @param unstoredKeys the keys whose latest write was not stored
     */
    public UnstoredWritesException(String message, List<Object> unstoredKeys) {
        super(message);
        this.unstoredKeys = List.copyOf(unstoredKeys);
    }

    /**
     * The keys whose latest write was not stored.
     *
     * @return the keys (empty after deserialization)
     */
    public List<Object> unstoredKeys() {
        return unstoredKeys == null ? List.of() : unstoredKeys;
    }
}
