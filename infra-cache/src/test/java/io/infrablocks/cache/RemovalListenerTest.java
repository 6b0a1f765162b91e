package io.infrablocks.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RemovalListenerTest {

    @ParameterizedTest
    @EnumSource(EvictionPolicyKind.class)
    void listenersRunWithNoLockHeld(EvictionPolicyKind kind) {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            AtomicReference<Cache<Integer, Integer>> self = new AtomicReference<>();
            List<Long> sizesSeenByAnotherThread = new ArrayList<>();
            Cache<Integer, Integer> cache = CacheBuilder.newBuilder()
                    .maximumSize(2)
                    .evictionPolicy(kind)
                    .executor(Runnable::run)
                    .<Integer, Integer>removalListener((k, v, cause) -> {
                        // Another thread needs the eviction lock (and a table bin) to answer: it would time
                        // out if this listener were called while either was held.
                        long size = CompletableFuture.supplyAsync(() -> {
                                    self.get().asMap().compute(k, (key, old) -> old);
                                    return self.get().policy().weightedSize();
                                })
                                .orTimeout(5, TimeUnit.SECONDS)
                                .join();
                        sizesSeenByAnotherThread.add(size);
                    })
                    .build();
            self.set(cache);
            for (int i = 0; i < 5; i++) {
                cache.put(i, i);
            }
            cache.invalidate(cache.asMap().keySet().iterator().next());
            assertEquals(4, sizesSeenByAnotherThread.size());
            assertEquals(1, cache.estimatedSize());
        });
    }

    @ParameterizedTest
    @EnumSource(EvictionPolicyKind.class)
    void aListenerMayWriteBackIntoTheCache(EvictionPolicyKind kind) {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            AtomicReference<Cache<String, Integer>> self = new AtomicReference<>();
            List<String> causes = new ArrayList<>();
            Cache<String, Integer> cache = CacheBuilder.newBuilder()
                    .maximumSize(3)
                    .evictionPolicy(kind)
                    .executor(Runnable::run)
                    .<String, Integer>removalListener((k, v, cause) -> {
                        causes.add(k + ":" + cause);
                        if (cause == RemovalCause.SIZE && !k.startsWith("re-")) {
                            self.get().put("re-" + k, v);
                        }
                    })
                    .build();
            self.set(cache);
            for (int i = 0; i < 6; i++) {
                cache.put("k" + i, i);
            }
            cache.cleanUp();
            assertEquals(3, cache.estimatedSize());
            assertEquals(3, cache.policy().weightedSize());
            long sizeEvictions =
                    causes.stream().filter(c -> c.endsWith(":SIZE")).count();
            // 6 originals and one re-put per evicted original, 3 resident at the end.
            long reputs = causes.stream()
                    .filter(c -> c.endsWith(":SIZE") && !c.startsWith("re-"))
                    .count();
            assertEquals(6 + reputs - 3, sizeEvictions);
        });
    }
}
