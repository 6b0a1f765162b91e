package io.infrablocks.cache;

/**
 * Computes a value on a cache miss for a {@link LoadingCache}.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
@FunctionalInterface
public interface CacheLoader<K, V> {

    /**
     * Loads the value of a key. Concurrent misses on the same key share one call.
     *
     * @param key the key, never null
     * @return the value, or null to cache nothing
     * @throws Exception if the value cannot be loaded; every caller waiting for this key receives the failure
     */
    V load(K key) throws Exception;
}
