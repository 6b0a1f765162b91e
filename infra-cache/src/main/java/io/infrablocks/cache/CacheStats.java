package io.infrablocks.cache;

/**
 * An immutable snapshot of a cache's counters, recorded only when the cache was built with
 * {@link CacheBuilder#recordStats()} (otherwise every counter is zero).
 *
 * @param hitCount lookups that found a value
 * @param missCount lookups that found none
 * @param loadSuccessCount loads that returned a value
 * @param loadFailureCount loads that threw or returned null
 * @param totalLoadTimeNanos time spent loading, successful or not
 * @param evictionCount entries removed by the size policy or by expiry
 * @param evictionWeight the total weight of those entries
 */
public record CacheStats(
        long hitCount,
        long missCount,
        long loadSuccessCount,
        long loadFailureCount,
        long totalLoadTimeNanos,
        long evictionCount,
        long evictionWeight) {

    private static final CacheStats EMPTY = new CacheStats(0, 0, 0, 0, 0, 0, 0);

    /**
     * Validates the counters.
     *
     * @throws IllegalArgumentException if a counter is negative
     */
    public CacheStats {
        requireNonNegative("hitCount", hitCount);
        requireNonNegative("missCount", missCount);
        requireNonNegative("loadSuccessCount", loadSuccessCount);
        requireNonNegative("loadFailureCount", loadFailureCount);
        requireNonNegative("totalLoadTimeNanos", totalLoadTimeNanos);
        requireNonNegative("evictionCount", evictionCount);
        requireNonNegative("evictionWeight", evictionWeight);
    }

    /**
     * The snapshot with every counter zero.
     *
     * @return the empty snapshot
     */
    public static CacheStats empty() {
        return EMPTY;
    }

    /**
     * Hits plus misses.
     *
     * @return the number of lookups
     */
    public long requestCount() {
        return hitCount + missCount;
    }

    /**
     * Hits over lookups, 1.0 when there was no lookup.
     *
     * @return the hit ratio in [0, 1]
     */
    public double hitRate() {
        long requests = requestCount();
        return requests == 0 ? 1.0 : (double) hitCount / requests;
    }

    /**
     * Misses over lookups, 0.0 when there was no lookup.
     *
     * @return the miss ratio in [0, 1]
     */
    public double missRate() {
        long requests = requestCount();
        return requests == 0 ? 0.0 : (double) missCount / requests;
    }

    /**
     * Successful plus failed loads.
     *
     * @return the number of loads
     */
    public long loadCount() {
        return loadSuccessCount + loadFailureCount;
    }

    /**
     * The mean time of a load.
     *
     * @return nanoseconds per load, 0.0 when there was none
     */
    public double averageLoadPenaltyNanos() {
        long loads = loadCount();
        return loads == 0 ? 0.0 : (double) totalLoadTimeNanos / loads;
    }

    /**
     * The counters accumulated since an earlier snapshot.
     *
     * @param earlier a snapshot of the same cache taken before this one
     * @return this minus {@code earlier}, each counter floored at zero
     */
    public CacheStats minus(CacheStats earlier) {
        return new CacheStats(
                Math.max(0, hitCount - earlier.hitCount),
                Math.max(0, missCount - earlier.missCount),
                Math.max(0, loadSuccessCount - earlier.loadSuccessCount),
                Math.max(0, loadFailureCount - earlier.loadFailureCount),
                Math.max(0, totalLoadTimeNanos - earlier.totalLoadTimeNanos),
                Math.max(0, evictionCount - earlier.evictionCount),
                Math.max(0, evictionWeight - earlier.evictionWeight));
    }

    private static void requireNonNegative(String name, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be >= 0 but was " + value);
        }
    }
}
