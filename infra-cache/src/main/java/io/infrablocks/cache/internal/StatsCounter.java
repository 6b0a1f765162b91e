package io.infrablocks.cache.internal;

import io.infrablocks.cache.CacheStats;
import java.util.concurrent.atomic.LongAdder;

/** Striped counters behind {@link CacheStats}; only allocated when the cache records stats. */
final class StatsCounter {

    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder loadSuccesses = new LongAdder();
    private final LongAdder loadFailures = new LongAdder();
    private final LongAdder loadTime = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder evictionWeight = new LongAdder();

    void hit() {
        hits.increment();
    }

    void hits(int count) {
        hits.add(count);
    }

    void miss() {
        misses.increment();
    }

    void misses(int count) {
        misses.add(count);
    }

    void loadSuccess(long nanos) {
        loadSuccesses.increment();
        loadTime.add(Math.max(0, nanos));
    }

    void loadFailure(long nanos) {
        loadFailures.increment();
        loadTime.add(Math.max(0, nanos));
    }

    void eviction(long weight) {
        evictions.increment();
        evictionWeight.add(weight);
    }

    CacheStats snapshot() {
        return new CacheStats(
                hits.sum(),
                misses.sum(),
                loadSuccesses.sum(),
                loadFailures.sum(),
                loadTime.sum(),
                evictions.sum(),
                evictionWeight.sum());
    }
}
