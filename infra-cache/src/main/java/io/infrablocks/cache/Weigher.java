package io.infrablocks.cache;

/**
 * Computes an entry's weight for {@link CacheBuilder#maximumWeight(long)}. Called once per write, outside the
 * eviction lock; the weight is fixed for the value's life in the cache.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
@FunctionalInterface
public interface Weigher<K, V> {

    /**
     * The weight of an entry.
     *
     * @param key the key
     * @param value the value
     * @return a weight {@code >= 0}
     */
    int weigh(K key, V value);
}
