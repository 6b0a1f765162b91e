package io.infrablocks.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CacheTest {

    record Removal(Object key, Object value, RemovalCause cause) {}

    private static Cache<String, Integer> cache(EvictionPolicyKind kind, long max, List<Removal> removals) {
        return CacheBuilder.newBuilder()
                .maximumSize(max)
                .evictionPolicy(kind)
                .executor(Runnable::run)
                .recordStats()
                .<String, Integer>removalListener((k, v, c) -> removals.add(new Removal(k, v, c)))
                .build();
    }

    @ParameterizedTest
    @EnumSource(EvictionPolicyKind.class)
    void putGetInvalidateWithListenerCauses(EvictionPolicyKind kind) {
        List<Removal> removals = new ArrayList<>();
        Cache<String, Integer> cache = cache(kind, 100, removals);
        cache.put("a", 1);
        cache.put("a", 2);
        assertEquals(2, cache.getIfPresent("a"));
        cache.invalidate("a");
        assertNull(cache.getIfPresent("a"));
        cache.invalidate("absent");
        assertEquals(
                List.of(new Removal("a", 1, RemovalCause.REPLACED), new Removal("a", 2, RemovalCause.EXPLICIT)),
                removals);
        CacheStats stats = cache.stats();
        assertEquals(1, stats.hitCount());
        assertEquals(1, stats.missCount());
        assertEquals(0, cache.estimatedSize());
        assertEquals(0, cache.policy().weightedSize());
    }

    @ParameterizedTest
    @EnumSource(EvictionPolicyKind.class)
    void evictsToTheBoundWithSizeCause(EvictionPolicyKind kind) {
        List<Removal> removals = new ArrayList<>();
        Cache<String, Integer> cache = cache(kind, 10, removals);
        for (int i = 0; i < 25; i++) {
            cache.put("k" + i, i);
        }
        cache.cleanUp();
        assertEquals(10, cache.estimatedSize());
        assertEquals(10, cache.policy().weightedSize());
        assertEquals(15, removals.size());
        assertEquals(
                15,
                removals.stream().filter(r -> r.cause() == RemovalCause.SIZE).count());
        assertEquals(15, cache.stats().evictionCount());
        assertEquals(15, cache.stats().evictionWeight());
    }

    @ParameterizedTest
    @EnumSource(EvictionPolicyKind.class)
    void rejectsNullsNamingTheArgument(EvictionPolicyKind kind) {
        Cache<String, Integer> cache = cache(kind, 10, new ArrayList<>());
        assertEquals(
                "key",
                assertThrows(NullPointerException.class, () -> cache.getIfPresent(null))
                        .getMessage());
        assertEquals(
                "key",
                assertThrows(NullPointerException.class, () -> cache.put(null, 1))
                        .getMessage());
        assertEquals(
                "value",
                assertThrows(NullPointerException.class, () -> cache.put("a", null))
                        .getMessage());
        assertEquals(
                "mappingFunction",
                assertThrows(NullPointerException.class, () -> cache.get("a", null))
                        .getMessage());
        assertEquals(
                "key",
                assertThrows(NullPointerException.class, () -> cache.invalidate(null))
                        .getMessage());
        assertEquals(
                "keys contains a null key",
                assertThrows(NullPointerException.class, () -> cache.getAllPresent(java.util.Arrays.asList("a", null)))
                        .getMessage());
        ConcurrentMap<String, Integer> map = cache.asMap();
        assertEquals(
                "key",
                assertThrows(NullPointerException.class, () -> map.get(null)).getMessage());
        assertEquals(
                "value",
                assertThrows(NullPointerException.class, () -> map.put("a", null))
                        .getMessage());
    }

    @ParameterizedTest
    @EnumSource(EvictionPolicyKind.class)
    void weightsAreAccountedExactly(EvictionPolicyKind kind) {
        List<Removal> removals = new ArrayList<>();
        Cache<String, String> cache = CacheBuilder.newBuilder()
                .maximumWeight(20)
                .evictionPolicy(kind)
                .executor(Runnable::run)
                .recordStats()
                .<String, String>weigher((k, v) -> v.length())
                .<String, String>removalListener((k, v, c) -> removals.add(new Removal(k, v, c)))
                .build();
        cache.put("a", "12345");
        cache.put("b", "1234567890");
        assertEquals(15, cache.policy().weightedSize());
        cache.put("a", "1");
        assertEquals(11, cache.policy().weightedSize());
        cache.put("c", "123456789");
        assertEquals(20, cache.policy().weightedSize());
        cache.put("d", "12");
        cache.cleanUp();
        long total = 0;
        for (String v : cache.asMap().values()) {
            total += v.length();
        }
        assertEquals(total, cache.policy().weightedSize());
        assertEquals(true, total <= 20);
        long evictedWeight = removals.stream()
                .filter(r -> r.cause() == RemovalCause.SIZE)
                .mapToLong(r -> ((String) r.value()).length())
                .sum();
        assertEquals(evictedWeight, cache.stats().evictionWeight());
        assertEquals(22 - total, evictedWeight);
    }

    @ParameterizedTest
    @EnumSource(EvictionPolicyKind.class)
    void getAllAndPutAll(EvictionPolicyKind kind) {
        Cache<String, Integer> cache = cache(kind, 100, new ArrayList<>());
        Map<String, Integer> init = new LinkedHashMap<>();
        init.put("a", 1);
        init.put("b", 2);
        cache.putAll(init);
        List<Object> asked = new ArrayList<>();
        Map<String, Integer> all = cache.getAll(List.of("c", "a", "d", "b"), missing -> {
            asked.addAll(missing);
            Map<String, Integer> m = new LinkedHashMap<>();
            for (String k : missing) {
                m.put(k, k.charAt(0) - 'a' + 1);
            }
            return m;
        });
        assertEquals(List.of("c", "d"), asked);
        assertEquals(List.of("c", "a", "d", "b"), new ArrayList<>(all.keySet()));
        assertEquals(List.of(3, 1, 4, 2), new ArrayList<>(all.values()));
        assertEquals(Map.of("a", 1, "d", 4), cache.getAllPresent(List.of("a", "x", "d")));
        cache.invalidateAll(List.of("a", "b"));
        assertEquals(2, cache.estimatedSize());
        cache.invalidateAll();
        assertEquals(0, cache.estimatedSize());
    }

    @ParameterizedTest
    @EnumSource(EvictionPolicyKind.class)
    void hottestAndColdestFollowThePolicy(EvictionPolicyKind kind) {
        Cache<String, Integer> cache = cache(kind, 100, new ArrayList<>());
        for (int i = 0; i < 5; i++) {
            cache.put("k" + i, i);
        }
        for (int r = 0; r < 3; r++) {
            cache.getIfPresent("k1");
        }
        List<String> hot = cache.policy().hottest(5);
        List<String> cold = cache.policy().coldest(5);
        assertEquals(5, hot.size());
        assertEquals("k1", hot.get(0));
        List<String> reversed = new ArrayList<>(cold);
        java.util.Collections.reverse(reversed);
        assertEquals(hot, reversed);
        assertEquals(2, cache.policy().hottest(2).size());
        assertEquals(List.of(), cache.policy().coldest(0));
    }

    @org.junit.jupiter.api.Test
    void directExecutorKeepsEveryReadOfALongReadOnlyStretch() {
        // 50 reads with no write in between fill several read stripes; with a direct executor each fill must
        // drain at once, so the next write evicts exactly the least recently read key (k0), not a key whose
        // read was dropped.
        List<Removal> removals = new ArrayList<>();
        Cache<String, Integer> cache = cache(EvictionPolicyKind.LRU, 50, removals);
        for (int i = 0; i < 50; i++) {
            cache.put("k" + i, i);
        }
        for (int i = 0; i < 50; i++) {
            assertEquals(i, cache.getIfPresent("k" + i));
        }
        cache.put("new", -1);
        assertEquals(List.of(new Removal("k0", 0, RemovalCause.SIZE)), removals);
        assertEquals(List.of("k1", "k2"), cache.policy().coldest(2));
    }

    @org.junit.jupiter.api.Test
    void asyncExecutorStaysWithinTheBoundOnceQuiet() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            Cache<String, Integer> cache = CacheBuilder.newBuilder()
                    .maximumSize(20)
                    .evictionPolicy(EvictionPolicyKind.LRU)
                    .executor(pool)
                    .build();
            for (int i = 0; i < 100; i++) {
                cache.put("k" + i, i);
                for (int r = 0; r < 40; r++) {
                    cache.getIfPresent("k" + i);
                }
            }
            pool.submit(() -> {}).get();
            cache.cleanUp();
            assertEquals(20, cache.estimatedSize());
            assertEquals(20, cache.policy().weightedSize());
            assertEquals(99, cache.getIfPresent("k99"));
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest
    @EnumSource(EvictionPolicyKind.class)
    void setMaximumEvictsAtOnce(EvictionPolicyKind kind) {
        Cache<String, Integer> cache = cache(kind, 100, new ArrayList<>());
        for (int i = 0; i < 50; i++) {
            cache.put("k" + i, i);
        }
        cache.policy().setMaximum(10);
        assertEquals(10, cache.estimatedSize());
        assertEquals(10, cache.policy().maximum());
        assertThrows(IllegalArgumentException.class, () -> cache.policy().setMaximum(0));
    }

    @ParameterizedTest
    @EnumSource(EvictionPolicyKind.class)
    void asMapOperationsNotifyTheListener(EvictionPolicyKind kind) {
        List<Removal> removals = new ArrayList<>();
        Cache<String, Integer> cache = cache(kind, 100, removals);
        ConcurrentMap<String, Integer> map = cache.asMap();
        assertNull(map.put("a", 1));
        assertEquals(1, map.put("a", 2));
        assertEquals(2, map.putIfAbsent("a", 3));
        assertEquals(5, map.merge("a", 3, Integer::sum));
        assertEquals(6, map.compute("a", (k, v) -> v + 1));
        assertEquals(false, map.replace("a", 1, 9));
        assertEquals(true, map.replace("a", 6, 7));
        assertNull(map.computeIfPresent("a", (k, v) -> null));
        assertEquals(8, map.computeIfAbsent("b", k -> 8));
        assertEquals(true, map.remove("b", 8));
        assertEquals(
                List.of(
                        new Removal("a", 1, RemovalCause.REPLACED),
                        new Removal("a", 2, RemovalCause.REPLACED),
                        new Removal("a", 5, RemovalCause.REPLACED),
                        new Removal("a", 6, RemovalCause.REPLACED),
                        new Removal("a", 7, RemovalCause.EXPLICIT),
                        new Removal("b", 8, RemovalCause.EXPLICIT)),
                removals);
        assertEquals(0, cache.policy().weightedSize());
    }

    @ParameterizedTest
    @EnumSource(EvictionPolicyKind.class)
    void statsAreFreeAndZeroWhenOff(EvictionPolicyKind kind) {
        Cache<String, Integer> cache =
                CacheBuilder.newBuilder().maximumSize(10).evictionPolicy(kind).build();
        cache.put("a", 1);
        cache.getIfPresent("a");
        cache.getIfPresent("b");
        assertEquals(CacheStats.empty(), cache.stats());
    }
}
