package io.infrablocks.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Stateful properties: sequences of operations applied to the cache and to a model. Without eviction every
 * policy must behave exactly like a plain map; with eviction the cache holds a subset of the model with the
 * same values, and once quiescent never more than its bound.
 */
class CachePropertyTest {

    enum Kind {
        GET,
        PUT,
        PUT_IF_ABSENT,
        REMOVE,
        REMOVE_VALUE,
        REPLACE,
        REPLACE_VALUE,
        COMPUTE,
        COMPUTE_IF_ABSENT,
        COMPUTE_IF_PRESENT,
        MERGE,
        GET_WITH_FUNCTION,
        INVALIDATE_ALL,
        CLEAN_UP
    }

    record Action(Kind kind, int key, int value) {}

    @Provide
    Arbitrary<List<Action>> actions() {
        Arbitrary<Action> action = Combinators.combine(
                        Arbitraries.of(Kind.class),
                        Arbitraries.integers().between(0, 30),
                        Arbitraries.integers().between(0, 5))
                .as(Action::new);
        return action.list().ofMaxSize(200);
    }

    /** Applies an action to a map (the model or the cache's view) and returns its observable result. */
    static Object apply(Action a, ConcurrentMap<Integer, Integer> map, Cache<Integer, Integer> cache) {
        Integer k = a.key();
        Integer v = a.value();
        switch (a.kind()) {
            case GET:
                return map.get(k);
            case PUT:
                return map.put(k, v);
            case PUT_IF_ABSENT:
                return map.putIfAbsent(k, v);
            case REMOVE:
                return map.remove(k);
            case REMOVE_VALUE:
                return map.remove(k, v);
            case REPLACE:
                return map.replace(k, v);
            case REPLACE_VALUE:
                return map.replace(k, v, v + 1);
            case COMPUTE:
                return map.compute(k, (key, old) -> old == null ? v : (old + v) % 4 == 0 ? null : old + v);
            case COMPUTE_IF_ABSENT:
                return map.computeIfAbsent(k, key -> v == 0 ? null : v);
            case COMPUTE_IF_PRESENT:
                return map.computeIfPresent(k, (key, old) -> v == 0 ? null : old * v);
            case MERGE:
                return map.merge(k, v, (x, y) -> (x + y) % 3 == 0 ? null : x + y);
            case GET_WITH_FUNCTION:
                if (cache == null) {
                    return map.computeIfAbsent(k, key -> v);
                }
                return cache.get(k, key -> v);
            case INVALIDATE_ALL:
                if (cache == null) {
                    map.clear();
                } else {
                    cache.invalidateAll();
                }
                return null;
            case CLEAN_UP:
                if (cache != null) {
                    cache.cleanUp();
                }
                return null;
            default:
                throw new AssertionError(a);
        }
    }

    private static Cache<Integer, Integer> cache(EvictionPolicyKind kind, long max, boolean sync) {
        CacheBuilder<Object, Object> b =
                CacheBuilder.newBuilder().maximumSize(max).evictionPolicy(kind);
        if (sync) {
            b.executor(Runnable::run);
        }
        return b.build();
    }

    @Property(tries = 300)
    void withoutEvictionEveryPolicyIsAMap(
            @ForAll("actions") List<Action> actions, @ForAll EvictionPolicyKind kind, @ForAll boolean sync) {
        Cache<Integer, Integer> cache = cache(kind, 1_000, sync);
        ConcurrentMap<Integer, Integer> model = new java.util.concurrent.ConcurrentHashMap<>();
        for (Action a : actions) {
            Object expected = apply(a, model, null);
            Object actual = apply(a, cache.asMap(), cache);
            assertEquals(expected, actual, a.toString());
        }
        assertEquals(model, cache.asMap());
        assertEquals(new HashMap<>(model), new HashMap<>(cache.asMap()));
        cache.cleanUp();
        assertEquals(model.size(), cache.policy().weightedSize());
        assertEquals(model.size(), cache.estimatedSize());
    }

    @Property(tries = 300)
    void withEvictionTheCacheIsASubsetAndWithinItsBoundWhenQuiescent(
            @ForAll("actions") List<Action> actions,
            @ForAll EvictionPolicyKind kind,
            @ForAll boolean sync,
            @ForAll @IntRange(min = 1, max = 12) int max) {
        Cache<Integer, Integer> cache = cache(kind, max, sync);
        Map<Integer, Integer> written = new HashMap<>();
        for (Action a : actions) {
            switch (a.kind()) {
                case PUT:
                    cache.put(a.key(), a.value());
                    written.put(a.key(), a.value());
                    break;
                case REMOVE:
                    cache.invalidate(a.key());
                    written.remove(a.key());
                    break;
                case GET:
                    Integer got = cache.getIfPresent(a.key());
                    assertTrue(got == null || got.equals(written.get(a.key())), a.toString());
                    break;
                default:
                    cache.cleanUp();
                    assertTrue(cache.estimatedSize() <= max, "size " + cache.estimatedSize() + " > " + max);
            }
        }
        cache.cleanUp();
        assertTrue(cache.estimatedSize() <= max);
        assertEquals(cache.estimatedSize(), cache.policy().weightedSize());
        for (Map.Entry<Integer, Integer> e : cache.asMap().entrySet()) {
            assertTrue(Objects.equals(written.get(e.getKey()), e.getValue()), e.toString());
        }
    }

    @Property(tries = 200)
    void weightedSizeIsExactOnceQuiescent(
            @ForAll @Size(max = 150) List<@IntRange(min = 0, max = 20) Integer> keys,
            @ForAll @Size(max = 150) List<@IntRange(min = 0, max = 9) Integer> weights,
            @ForAll EvictionPolicyKind kind,
            @ForAll @IntRange(min = 1, max = 40) int max) {
        Cache<Integer, Integer> cache = CacheBuilder.newBuilder()
                .maximumWeight(max)
                .evictionPolicy(kind)
                .executor(Runnable::run)
                .<Integer, Integer>weigher((k, v) -> v)
                .build();
        for (int i = 0; i < Math.min(keys.size(), weights.size()); i++) {
            if (weights.get(i) == 9) {
                cache.invalidate(keys.get(i));
            } else {
                cache.put(keys.get(i), weights.get(i));
            }
        }
        cache.cleanUp();
        long total =
                cache.asMap().values().stream().mapToLong(Integer::longValue).sum();
        assertEquals(total, cache.policy().weightedSize());
        assertTrue(total <= max);
    }
}
