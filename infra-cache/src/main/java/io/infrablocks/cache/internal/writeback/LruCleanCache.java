package io.infrablocks.cache.internal.writeback;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A small exact-LRU clean cache (access-ordered {@link LinkedHashMap} under one lock), used when no cache core
 * is supplied. O(1) per operation; one lock, never held across a call out.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class LruCleanCache<K, V> implements CleanCache<K, V> {

    private final ReentrantLock lock = new ReentrantLock();
    private final LinkedHashMap<K, V> map;

    /**
     * Creates a cache of at most {@code maximumSize} entries.
     *
     * @param maximumSize the bound, positive
     */
    public LruCleanCache(long maximumSize) {
        this.map = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > maximumSize;
            }
        };
    }

    @Override
    public V getIfPresent(K key) {
        lock.lock();
        try {
            return map.get(key);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void put(K key, V value) {
        lock.lock();
        try {
            map.put(key, value);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void invalidate(K key) {
        lock.lock();
        try {
            map.remove(key);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The number of cached entries.
     *
     * @return the size
     */
    public int size() {
        lock.lock();
        try {
            return map.size();
        } finally {
            lock.unlock();
        }
    }
}
