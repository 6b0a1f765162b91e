package io.infrablocks.cache;

/**
 * Told when an entry leaves the cache. The cache calls it on the thread that caused the removal (or that ran
 * the maintenance which evicted the entry) after releasing its locks, so it may call back into the cache. An
 * exception it throws is logged and otherwise ignored.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
@FunctionalInterface
public interface RemovalListener<K, V> {

    /**
     * An entry left the cache.
     *
     * @param key the entry's key, never null
     * @param value the value it held, never null
     * @param cause why it left
     */
    void onRemoval(K key, V value, RemovalCause cause);
}
