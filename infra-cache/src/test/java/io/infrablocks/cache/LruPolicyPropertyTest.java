package io.infrablocks.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** The real cache with the LRU policy, replayed single-threaded, against a reference LinkedHashMap LRU. */
class LruPolicyPropertyTest {

    /** A reference LRU: access-ordered LinkedHashMap that drops its eldest entry when over capacity. */
    static final class ReferenceLru<K> extends LinkedHashMap<K, Boolean> {
        private static final long serialVersionUID = 1L;
        private final int capacity;

        ReferenceLru(int capacity) {
            super(16, 0.75f, true);
            this.capacity = capacity;
        }

        @Override
        protected boolean removeEldestEntry(Map.Entry<K, Boolean> eldest) {
            return size() > capacity;
        }
    }

    @Property(tries = 300)
    void hitsEqualReferenceLruRequestForRequest(
            @ForAll @Size(max = 400) List<@IntRange(min = 0, max = 40) Integer> trace,
            @ForAll @IntRange(min = 1, max = 25) int capacity) {
        Cache<Integer, Integer> cache = CacheBuilder.newBuilder()
                .maximumSize(capacity)
                .evictionPolicy(EvictionPolicyKind.LRU)
                .executor(Runnable::run)
                .build();
        ReferenceLru<Integer> reference = new ReferenceLru<>(capacity);
        for (int i = 0; i < trace.size(); i++) {
            Integer key = trace.get(i);
            boolean expected = reference.get(key) != null;
            if (!expected) {
                reference.put(key, Boolean.TRUE);
            }
            boolean hit = cache.getIfPresent(key) != null;
            if (!hit) {
                cache.put(key, key);
            }
            assertEquals(expected, hit, "request " + i + " key " + key);
        }
        List<Integer> expectedColdest = new ArrayList<>(reference.keySet());
        assertEquals(expectedColdest, cache.policy().coldest(capacity));
        Collections.reverse(expectedColdest);
        assertEquals(expectedColdest, cache.policy().hottest(capacity));
    }

    @Property(tries = 200)
    void updatesCountAsUsesLikeAnAccessOrderedMap(
            @ForAll @Size(max = 300) List<@IntRange(min = 0, max = 30) Integer> trace,
            @ForAll @Size(max = 300) List<Boolean> isWrite,
            @ForAll @IntRange(min = 1, max = 20) int capacity) {
        Cache<Integer, Integer> cache = CacheBuilder.newBuilder()
                .maximumSize(capacity)
                .evictionPolicy(EvictionPolicyKind.LRU)
                .executor(Runnable::run)
                .build();
        ReferenceLru<Integer> reference = new ReferenceLru<>(capacity);
        for (int i = 0; i < trace.size(); i++) {
            Integer key = trace.get(i);
            if (i < isWrite.size() && isWrite.get(i)) {
                reference.put(key, Boolean.TRUE);
                cache.put(key, i);
            } else {
                assertEquals(reference.get(key) != null, cache.getIfPresent(key) != null, "request " + i);
            }
        }
        assertEquals(new ArrayList<>(reference.keySet()), cache.policy().coldest(capacity));
    }
}
