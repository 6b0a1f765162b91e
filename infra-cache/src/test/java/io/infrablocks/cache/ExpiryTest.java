package io.infrablocks.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ExpiryTest {

    private final AtomicLong now = new AtomicLong(1_000);
    private final List<String> removals = new ArrayList<>();

    private Cache<String, String> cache(EvictionPolicyKind kind, Duration write, Duration access) {
        CacheBuilder<Object, Object> b = CacheBuilder.newBuilder()
                .maximumSize(100)
                .evictionPolicy(kind)
                .ticker(now::get)
                .executor(Runnable::run)
                .recordStats();
        if (write != null) {
            b.expireAfterWrite(write);
        }
        if (access != null) {
            b.expireAfterAccess(access);
        }
        return b.<String, String>removalListener((k, v, c) -> removals.add(k + "=" + v + ":" + c))
                .build();
    }

    private void advance(long nanos) {
        now.addAndGet(nanos);
    }

    @ParameterizedTest
    @EnumSource(EvictionPolicyKind.class)
    void expireAfterWrite(EvictionPolicyKind kind) {
        Cache<String, String> cache = cache(kind, Duration.ofNanos(100), null);
        cache.put("a", "1");
        advance(50);
        cache.put("b", "2");
        assertEquals("1", cache.getIfPresent("a"));
        advance(49);
        assertEquals("1", cache.getIfPresent("a"));
        advance(1);
        assertNull(cache.getIfPresent("a"));
        assertEquals("2", cache.getIfPresent("b"));
        cache.cleanUp();
        assertEquals(1, cache.estimatedSize());
        assertEquals(List.of("a=1:EXPIRED"), removals);
        cache.put("b", "3"); // a write restarts b's clock
        advance(99);
        assertEquals("3", cache.getIfPresent("b"));
        advance(1);
        assertNull(cache.getIfPresent("b"));
        cache.cleanUp();
        assertEquals(0, cache.estimatedSize());
        assertEquals(List.of("a=1:EXPIRED", "b=2:REPLACED", "b=3:EXPIRED"), removals);
        assertEquals(2, cache.stats().evictionCount());
        assertEquals(0, cache.policy().weightedSize());
    }

    @ParameterizedTest
    @EnumSource(EvictionPolicyKind.class)
    void expireAfterAccess(EvictionPolicyKind kind) {
        Cache<String, String> cache = cache(kind, null, Duration.ofNanos(100));
        cache.put("a", "1");
        cache.put("b", "2");
        for (int i = 0; i < 5; i++) {
            advance(60);
            assertEquals("1", cache.getIfPresent("a")); // reads keep a alive
        }
        assertNull(cache.getIfPresent("b"));
        cache.cleanUp();
        assertEquals(List.of("b=2:EXPIRED"), removals);
        assertEquals(1, cache.estimatedSize());
        assertEquals(1, cache.policy().weightedSize());
    }

    @ParameterizedTest
    @EnumSource(EvictionPolicyKind.class)
    void aWriteOverAnExpiredEntryReportsExpiryNotReplacement(EvictionPolicyKind kind) {
        Cache<String, String> cache = cache(kind, Duration.ofNanos(10), null);
        cache.put("a", "1");
        advance(10);
        assertNull(cache.asMap().put("a", "2"));
        assertEquals("2", cache.getIfPresent("a"));
        assertEquals(List.of("a=1:EXPIRED"), removals);
        assertEquals("3", cache.get("c", k -> "3"));
        advance(10);
        assertEquals("4", cache.get("c", k -> "4"));
        assertEquals(false, cache.asMap().containsKey("a"));
        cache.cleanUp();
        assertEquals(java.util.Map.of("c", "4"), cache.asMap());
        assertEquals(java.util.Set.of("a=1:EXPIRED", "a=2:EXPIRED", "c=3:EXPIRED"), new java.util.HashSet<>(removals));
        assertEquals(3, removals.size());
    }
}
