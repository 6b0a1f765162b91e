package io.infrablocks.cache;

import java.util.Map;

/**
 * A {@link Cache} that computes missing values with the {@link CacheLoader} it was built with
 * ({@link CacheBuilder#build(CacheLoader)}).
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public interface LoadingCache<K, V> extends Cache<K, V> {

    /**
     * The value of a key, loading it on a miss. Concurrent misses on the same key cause exactly one load; a
     * failed load reaches every waiter (checked exceptions wrapped in {@link CacheException}) and caches
     * nothing.
     *
     * @param key the key
     * @return the value, or null if the loader returned null
     */
    V get(K key);

    /**
     * The values of some keys, loading each missing one (with per-key coalescing).
     *
     * @param keys the keys
     * @return the entries with a non-null value, in the keys' iteration order, an unmodifiable map
     */
    Map<K, V> getAll(Iterable<? extends K> keys);
}
