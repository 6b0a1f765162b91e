package io.infrablocks.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Bounded-time multi-threaded stress of get/put/compute/invalidate. Exact final-state checks: each thread owns
 * a counter key that only it updates; shared keys see racing writers and evictions. Afterwards every created
 * entry is either resident or was reported removed exactly once, the policy's weight equals the table's size, within the bound,
 * and every removal the listener saw is accounted for.
 */
class CacheStressTest {

    private static final int THREADS = 4;
    private static final int OPS = 40_000;

    @ParameterizedTest
    @EnumSource(EvictionPolicyKind.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void concurrentMixedOperationsLeaveAnExactState(EvictionPolicyKind kind) throws Exception {
        AtomicLong added = new AtomicLong();
        AtomicLong removedByListener = new AtomicLong();
        // Maintenance on an executor of our own: evictions made by an asynchronous maintenance run are reported
        // after it releases the eviction lock, so the test must see that executor idle before it counts them.
        ExecutorService maintenance = Executors.newSingleThreadExecutor();
        Cache<Integer, Long> cache = CacheBuilder.newBuilder()
                .maximumSize(256)
                .evictionPolicy(kind)
                .executor(maintenance)
                .<Integer, Long>removalListener((k, v, c) -> {
                    if (c != RemovalCause.REPLACED) {
                        removedByListener.incrementAndGet();
                    }
                })
                .build();
        ConcurrentMap<Integer, Long> map = cache.asMap();
        CyclicBarrier start = new CyclicBarrier(THREADS);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        List<Future<long[]>> results = new ArrayList<>();
        try {
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                results.add(pool.submit(() -> {
                    SplittableRandom random = new SplittableRandom(id);
                    long increments = 0;
                    long inserts = 0;
                    start.await();
                    for (int i = 0; i < OPS; i++) {
                        int key = random.nextInt(1024);
                        switch (random.nextInt(6)) {
                            case 0:
                            case 1:
                                Long v = cache.getIfPresent(key);
                                assertTrue(v == null || v >= 0);
                                break;
                            case 2:
                                if (map.put(key, (long) i) == null) {
                                    inserts++;
                                }
                                break;
                            case 3:
                                Long[] before = new Long[1];
                                map.compute(key, (k, old) -> {
                                    before[0] = old;
                                    return old == null ? 0L : old + 1;
                                });
                                if (before[0] == null) {
                                    inserts++;
                                }
                                break;
                            case 4:
                                cache.invalidate(key);
                                break;
                            default:
                                // A private counter, under concurrent eviction pressure.
                                Long[] old = new Long[1];
                                map.compute(-1 - id, (k, o) -> {
                                    old[0] = o;
                                    return o == null ? 1L : o + 1;
                                });
                                if (old[0] == null) {
                                    inserts++;
                                }
                                increments++;
                        }
                    }
                    return new long[] {increments, inserts};
                }));
            }
            for (Future<long[]> f : results) {
                added.addAndGet(f.get(50, TimeUnit.SECONDS)[1]);
            }
        } finally {
            pool.shutdownNow();
        }
        try {
            // The single maintenance thread runs tasks in order: once this one has run, every maintenance run
            // (and its listener calls) scheduled by the workers has finished.
            maintenance.submit(() -> {}).get(30, TimeUnit.SECONDS);
            cache.cleanUp();
            maintenance.submit(() -> {}).get(30, TimeUnit.SECONDS);
        } finally {
            maintenance.shutdownNow();
        }
        assertTrue(cache.estimatedSize() <= 256, "size " + cache.estimatedSize());
        assertEquals(cache.estimatedSize(), cache.policy().weightedSize());
        long live = 0;
        for (Map.Entry<Integer, Long> e : map.entrySet()) {
            assertTrue(e.getValue() >= 0);
            live++;
        }
        assertEquals(cache.estimatedSize(), live);
        assertEquals(cache.policy().hottest(1000).size(), live);
        // Every entry that was created either is still there or was reported removed exactly once.
        assertEquals(added.get() - removedByListener.get(), live);
    }

    @ParameterizedTest
    @EnumSource(EvictionPolicyKind.class)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void countersUpdatedWithComputeAreExactWithoutEviction(EvictionPolicyKind kind) throws Exception {
        Cache<Integer, Long> cache = CacheBuilder.newBuilder()
                .maximumSize(10_000)
                .evictionPolicy(kind)
                .build();
        CyclicBarrier start = new CyclicBarrier(THREADS);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        List<Future<?>> results = new ArrayList<>();
        try {
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                results.add(pool.submit(() -> {
                    SplittableRandom random = new SplittableRandom(id);
                    start.await();
                    for (int i = 0; i < OPS; i++) {
                        int key = random.nextInt(64);
                        if (random.nextInt(4) == 0) {
                            cache.getIfPresent(key);
                        } else {
                            cache.asMap().compute(key, (k, old) -> old == null ? 1L : old + 1);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : results) {
                f.get(50, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        long expected = 0;
        for (int t = 0; t < THREADS; t++) {
            SplittableRandom random = new SplittableRandom(t);
            for (int i = 0; i < OPS; i++) {
                random.nextInt(64);
                if (random.nextInt(4) != 0) {
                    expected++;
                }
            }
        }
        long total = cache.asMap().values().stream().mapToLong(Long::longValue).sum();
        assertEquals(expected, total);
        cache.cleanUp();
        assertEquals(cache.estimatedSize(), cache.policy().weightedSize());
    }
}
