package io.infrablocks.cache.internal.writeback;

/**
 * The bounded read cache of clean (stored) values behind a write-back cache. The write-back engine calls every
 * mutating method for a key only while holding that key's staging bin lock, so the implementation needs only
 * its own thread safety, and must not call back into the engine.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public interface CleanCache<K, V> {

    /**
     * The cached value.
     *
     * @param key the key
     * @return the value or null
     */
    V getIfPresent(K key);

    /**
     * Caches a stored value.
     *
     * @param key the key
     * @param value the value
     */
    void put(K key, V value);

    /**
     * Drops a key.
     *
     * @param key the key
     */
    void invalidate(K key);
}
