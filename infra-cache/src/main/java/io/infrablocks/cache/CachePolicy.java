package io.infrablocks.cache;

import java.util.List;

/**
 * A view of a cache's eviction policy: its bound, its current weight, and the keys it would keep or evict
 * first. {@link #hottest} and {@link #coldest} serve warm start: save the hottest keys at shutdown and
 * preload them at start so that the cache is not cold just after a restart.
 *
 * @param <K> the key type
 */
public interface CachePolicy<K> {

    /**
     * The policy the cache was built with.
     *
     * @return the policy kind
     */
    EvictionPolicyKind kind();

    /**
     * The maximum total weight (the maximum size when the cache is bounded by entry count).
     *
     * @return the bound
     */
    long maximum();

    /**
     * Changes the bound; entries are evicted at once until the cache is within it.
     *
     * @param maximum the new bound, {@code > 0}
     */
    void setMaximum(long maximum);

    /**
     * The total weight of the resident entries, after applying pending maintenance.
     *
     * @return the weight (the entry count when bounded by size)
     */
    long weightedSize();

    /**
     * The keys the policy values most, best first.
     *
     * @param limit the most keys to return, {@code >= 0}
     * @return up to {@code limit} keys, an immutable list
     */
    List<K> hottest(int limit);

    /**
     * The keys the policy would evict first, first victim first.
     *
     * @param limit the most keys to return, {@code >= 0}
     * @return up to {@code limit} keys, an immutable list
     */
    List<K> coldest(int limit);
}
