package io.infrablocks.cache;

/** Lets tests in other packages build a write-back cache over a plain LRU clean cache. */
public final class WriteBackTestAccess {
    private WriteBackTestAccess() {}

    /**
     * A write-back builder with an LRU clean cache.
     *
     * @param store the store
     * @param maximumSize the clean cache's bound
     * @param <K> the key type
     * @param <V> the value type
     * @return the builder
     */
    public static <K, V> WriteBackBuilder<K, V> lruBuilder(CacheStore<K, V> store, long maximumSize) {
        return WriteBackBuilder.withLruCleanCache(store, maximumSize);
    }
}
