package io.infrablocks.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CacheBuilderTest {

    @Test
    void rejectsNonPositiveMaximumSizeNamingTheSetting() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> CacheBuilder.newBuilder().maximumSize(-1).build());
        assertEquals("maximumSize must be > 0 but was -1", e.getMessage());
    }

    @Test
    void rejectsNonPositiveMaximumWeight() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CacheBuilder.newBuilder()
                .maximumWeight(0)
                .weigher((k, v) -> 1)
                .build());
        assertEquals("maximumWeight must be > 0 but was 0", e.getMessage());
    }

    @Test
    void rejectsBothBounds() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> CacheBuilder.newBuilder()
                .maximumSize(10)
                .maximumWeight(10)
                .weigher((k, v) -> 1)
                .build());
        assertEquals("maximumSize (10) and maximumWeight (10) cannot both be set", e.getMessage());
    }

    @Test
    void maximumWeightNeedsAWeigherAndViceVersa() {
        IllegalStateException noWeigher = assertThrows(
                IllegalStateException.class,
                () -> CacheBuilder.newBuilder().maximumWeight(5).build());
        assertEquals("maximumWeight (5) requires a weigher", noWeigher.getMessage());
        IllegalStateException noMaximum = assertThrows(
                IllegalStateException.class,
                () -> CacheBuilder.newBuilder().weigher((k, v) -> 1).build());
        assertEquals("a weigher requires maximumWeight, but maximumWeight was not set", noMaximum.getMessage());
    }

    @Test
    void rejectsNonPositiveDurationsAndNegativeCapacity() {
        IllegalArgumentException write = assertThrows(
                IllegalArgumentException.class,
                () -> CacheBuilder.newBuilder().expireAfterWrite(Duration.ZERO).build());
        assertEquals("expireAfterWrite must be > 0 but was PT0S", write.getMessage());
        IllegalArgumentException access = assertThrows(IllegalArgumentException.class, () -> CacheBuilder.newBuilder()
                .expireAfterAccess(Duration.ofSeconds(-1))
                .build());
        assertEquals("expireAfterAccess must be > 0 but was PT-1S", access.getMessage());
        IllegalArgumentException capacity = assertThrows(
                IllegalArgumentException.class,
                () -> CacheBuilder.newBuilder().initialCapacity(-3).build());
        assertEquals("initialCapacity must be >= 0 but was -3", capacity.getMessage());
    }

    @Test
    void rejectsNullSettingsNamingTheArgument() {
        CacheBuilder<Object, Object> b = CacheBuilder.newBuilder();
        assertEquals(
                "kind",
                assertThrows(NullPointerException.class, () -> b.evictionPolicy(null))
                        .getMessage());
        assertEquals(
                "ticker",
                assertThrows(NullPointerException.class, () -> b.ticker(null)).getMessage());
        assertEquals(
                "executor",
                assertThrows(NullPointerException.class, () -> b.executor(null)).getMessage());
        assertEquals(
                "weigher",
                assertThrows(NullPointerException.class, () -> b.weigher(null)).getMessage());
        assertEquals(
                "listener",
                assertThrows(NullPointerException.class, () -> b.removalListener(null))
                        .getMessage());
        assertEquals(
                "loader",
                assertThrows(NullPointerException.class, () -> b.build(null)).getMessage());
    }

    @Test
    void defaultsToAdaptiveAndReportsTheBound() {
        Cache<String, String> cache = CacheBuilder.newBuilder().maximumSize(42).build();
        assertEquals(EvictionPolicyKind.ADAPTIVE, cache.policy().kind());
        assertEquals(42, cache.policy().maximum());
        Cache<String, String> lru = CacheBuilder.newBuilder()
                .maximumSize(7)
                .evictionPolicy(EvictionPolicyKind.LRU)
                .build();
        assertEquals(EvictionPolicyKind.LRU, lru.policy().kind());
    }
}
