package io.infrablocks.cache.internal.writeback;

import io.infrablocks.cache.Cache;

/**
 * The clean cache of a write-back cache built by {@code CacheBuilder...writeBack(store)}: the library's own
 * bounded {@link Cache}, with whatever bound, policy and expiry the builder set.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class CoreCleanCache<K, V> implements CleanCache<K, V> {

    private final Cache<K, V> cache;

    /**
     * Wraps a cache.
     *
     * @param cache the bounded cache holding clean values
     */
    public CoreCleanCache(Cache<K, V> cache) {
        this.cache = cache;
    }

    @Override
    public V getIfPresent(K key) {
        return cache.getIfPresent(key);
    }

    @Override
    public void put(K key, V value) {
        cache.put(key, value);
    }

    @Override
    public void invalidate(K key) {
        cache.invalidate(key);
    }
}
