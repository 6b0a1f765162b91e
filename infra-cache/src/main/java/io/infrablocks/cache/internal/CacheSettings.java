package io.infrablocks.cache.internal;

import io.infrablocks.cache.EvictionPolicyKind;
import io.infrablocks.cache.RemovalListener;
import io.infrablocks.cache.Ticker;
import io.infrablocks.cache.Weigher;
import java.util.concurrent.Executor;

/**
 * A validated, immutable cache configuration, made by {@link io.infrablocks.cache.CacheBuilder}.
 *
 * @param maximum the bound on total weight (entry count when {@code weigher} is null); {@link Long#MAX_VALUE}
 *     when unbounded
 * @param bounded whether a maximum size or weight was set
 * @param weigher the weigher, or null when bounded by entry count
 * @param policyKind the policy to run (LRU for an unbounded cache: it never evicts)
 * @param requestedKind the policy the user asked for, as reported by the policy view
 * @param expireAfterWriteNanos time to live after a write, 0 for none
 * @param expireAfterAccessNanos time to live after a read or write, 0 for none
 * @param ticker the time source
 * @param executor where maintenance runs
 * @param removalListener the listener, or null
 * @param recordStats whether to count hits, misses, loads and evictions
 * @param initialCapacity the table's initial capacity
 */
public record CacheSettings(
        long maximum,
        boolean bounded,
        Weigher<?, ?> weigher,
        EvictionPolicyKind policyKind,
        EvictionPolicyKind requestedKind,
        long expireAfterWriteNanos,
        long expireAfterAccessNanos,
        Ticker ticker,
        Executor executor,
        RemovalListener<?, ?> removalListener,
        boolean recordStats,
        int initialCapacity) {}
