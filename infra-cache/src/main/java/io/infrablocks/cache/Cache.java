package io.infrablocks.cache;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;

/**
 * A concurrent, bounded, in-memory key-value cache. Build one with {@link CacheBuilder#newBuilder()}.
 *
 * <p>Every method is thread-safe; reads take no global lock. Null keys and values are rejected with a {@link
 * NullPointerException} naming the argument.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public interface Cache<K, V> {

    /**
     * The value of a key, if the cache holds one.
     *
     * @param key the key
     * @return the value, or null if absent or expired
     */
    V getIfPresent(K key);

    /**
     * The value of a key, computing it on a miss. Concurrent misses on the same key share one call of the
     * function; the others wait for its result. If the function throws, every waiter receives the exception
     * (checked exceptions wrapped in {@link CacheException}) and nothing is cached.
     *
     * @param key the key
     * @param mappingFunction computes the value; may return null to cache nothing
     * @return the cached or computed value, or null if the function returned null
     */
    V get(K key, Function<? super K, ? extends V> mappingFunction);

    /**
     * The values the cache holds for some keys.
     *
     * @param keys the keys
     * @return the present entries, in the keys' iteration order, an unmodifiable map
     */
    Map<K, V> getAllPresent(Iterable<? extends K> keys);

    /**
     * The values of some keys, computing the missing ones with one call of a bulk function.
     *
     * @param keys the keys
     * @param mappingFunction given the missing keys, returns their values (entries for other keys are
     *     cached too; keys it leaves out are absent from the result)
     * @return the entries, in the keys' iteration order, an unmodifiable map
     */
    Map<K, V> getAll(
            Iterable<? extends K> keys,
            Function<? super Set<? extends K>, ? extends Map<? extends K, ? extends V>> mappingFunction);

    /**
     * Stores a value, replacing any previous one.
     *
     * @param key the key
     * @param value the value
     */
    void put(K key, V value);

    /**
     * Stores several values.
     *
     * @param map the entries to store
     */
    void putAll(Map<? extends K, ? extends V> map);

    /**
     * Removes a key's entry, if any.
     *
     * @param key the key
     */
    void invalidate(K key);

    /**
     * Removes the entries of some keys.
     *
     * @param keys the keys
     */
    void invalidateAll(Iterable<? extends K> keys);

    /** Removes every entry. */
    void invalidateAll();

    /**
     * The approximate number of entries; it may include expired entries not yet cleaned up.
     *
     * @return the entry count
     */
    long estimatedSize();

    /**
     * The counters recorded so far (all zero unless built with {@link CacheBuilder#recordStats()}).
     *
     * @return an immutable snapshot
     */
    CacheStats stats();

    /**
     * A live {@link ConcurrentMap} view of the cache: changes through it are changes to the cache and vice
     * versa. Its reads do not count as hits or misses and do not load.
     *
     * @return the map view
     */
    ConcurrentMap<K, V> asMap();

    /** Applies pending maintenance now: replays buffered reads and writes, expires and evicts. */
    void cleanUp();

    /**
     * The eviction policy's view: bound, weight, hottest and coldest keys.
     *
     * @return the policy view
     */
    CachePolicy<K> policy();
}
