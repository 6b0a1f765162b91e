package io.infrablocks.cache;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The system of record behind a {@link WriteBackCache}: usually a database table (see {@code
 * io.infrablocks.cache.jdbc.JdbcCacheStore}).
 *
 * <p>The write-back cache calls {@link #writeAll} and {@link #deleteAll} from its writer threads, never twice
 * concurrently for the same key, and per key in the order the writes were made. Both must be idempotent (the
 * same state may be written again after a retry or a crash recovery).
 *
 * <p><b>Failures.</b> Any exception thrown by {@code writeAll} or {@code deleteAll} fails every key of the call,
 * which is retried with backoff. To fail only some keys (a constraint violation on one row of a batch), throw
 * {@link CacheStoreException#partial(String, Collection, Throwable)} naming them: the other keys count as
 * stored and only the named ones are retried.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public interface CacheStore<K, V> {

    /**
     * Reads the stored value of a key.
     *
     * @param key the key
     * @return the value, or null when the store has none
     */
    V load(K key);

    /**
     * Reads the stored values of several keys. The default calls {@link #load} per key.
     *
     * @param keys the keys
     * @return the values found, keyed by key; absent keys are missing from the map
     */
    default Map<K, V> loadAll(Collection<? extends K> keys) {
        Objects.requireNonNull(keys, "keys");
        Map<K, V> result = new LinkedHashMap<>();
        for (K key : keys) {
            V value = load(key);
            if (value != null) {
                result.put(key, value);
            }
        }
        return result;
    }

    /**
     * Inserts or replaces the given entries (an upsert).
     *
     * @param entries the entries, non-empty
     * @throws CacheStoreException (partial) naming the keys that could not be written, or any runtime
     *     exception to fail them all
     */
    void writeAll(Map<? extends K, ? extends V> entries);

    /**
     * Deletes the given keys; deleting an absent key is not an error.
     *
     * @param keys the keys, non-empty
     * @throws CacheStoreException (partial) naming the keys that could not be deleted, or any runtime
     *     exception to fail them all
     */
    void deleteAll(Collection<? extends K> keys);
}
