package io.infrablocks.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LoadingTest {

    private static final int WAITERS = 4;

    /** Starts {@code WAITERS} callers of {@code call}; returns once all of them are blocked or done. */
    private static List<Future<Object>> startCallers(
            ExecutorService pool, CountDownLatch started, java.util.concurrent.Callable<Object> call) {
        List<Future<Object>> futures = new ArrayList<>();
        for (int i = 0; i < WAITERS; i++) {
            futures.add(pool.submit(() -> {
                started.countDown();
                return call.call();
            }));
        }
        return futures;
    }

    @Test
    void concurrentMissesOnOneKeyLoadExactlyOnce() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            AtomicInteger loads = new AtomicInteger();
            CountDownLatch loaderEntered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            LoadingCache<String, String> cache = CacheBuilder.newBuilder()
                    .maximumSize(100)
                    .recordStats()
                    .build(key -> {
                        loads.incrementAndGet();
                        loaderEntered.countDown();
                        release.await();
                        return "v-" + key;
                    });
            ExecutorService pool = Executors.newFixedThreadPool(WAITERS);
            try {
                CountDownLatch started = new CountDownLatch(WAITERS);
                List<Future<Object>> futures = startCallers(pool, started, () -> cache.get("k"));
                started.await();
                loaderEntered.await();
                // Every other caller is now either waiting on the in-flight load or not yet at the cache; none
                // can start a second load while the first is in flight.
                release.countDown();
                for (Future<Object> f : futures) {
                    assertEquals("v-k", f.get(5, TimeUnit.SECONDS));
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(1, loads.get());
            assertEquals("v-k", cache.getIfPresent("k"));
            assertEquals(1, cache.stats().loadSuccessCount());
        });
    }

    @Test
    void aFailedLoadReachesEveryWaiterAndCachesNothing() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            AtomicInteger loads = new AtomicInteger();
            CountDownLatch loaderEntered = new CountDownLatch(1);
            CountDownLatch waitersQueued = new CountDownLatch(1);
            IllegalStateException failure = new IllegalStateException("database down");
            Cache<String, String> cache =
                    CacheBuilder.newBuilder().maximumSize(100).recordStats().build();
            ExecutorService pool = Executors.newFixedThreadPool(WAITERS + 1);
            try {
                Future<Object> owner = pool.submit(() -> cache.get("k", key -> {
                    loads.incrementAndGet();
                    loaderEntered.countDown();
                    try {
                        waitersQueued.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    throw failure;
                }));
                loaderEntered.await();
                CountDownLatch started = new CountDownLatch(WAITERS);
                List<Future<Object>> waiters = startCallers(
                        pool,
                        started,
                        () -> cache.get("k", key -> {
                            loads.incrementAndGet();
                            return "second load";
                        }));
                started.await();
                // Waiters that reached the cache block on the in-flight load; release the owner now. A waiter
                // arriving after the failure starts its own load, which the final count would reveal.
                waitUntilWaiting(pool, waiters);
                waitersQueued.countDown();
                java.util.concurrent.ExecutionException e = assertThrows(
                        java.util.concurrent.ExecutionException.class, () -> owner.get(5, TimeUnit.SECONDS));
                assertSame(failure, e.getCause());
                for (Future<Object> f : waiters) {
                    java.util.concurrent.ExecutionException w = assertThrows(
                            java.util.concurrent.ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
                    assertSame(failure, w.getCause());
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(1, loads.get());
            assertNull(cache.getIfPresent("k"));
            assertEquals(0, cache.estimatedSize());
            assertEquals(1, cache.stats().loadFailureCount());
        });
    }

    /** Spins (yielding) until every waiter thread is parked, i.e. waiting on the in-flight load. */
    private static void waitUntilWaiting(ExecutorService pool, List<Future<Object>> waiters) {
        for (; ; ) {
            int blocked = 0;
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().startsWith("pool-")
                        && (t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING)) {
                    for (StackTraceElement frame : t.getStackTrace()) {
                        if (frame.getMethodName().equals("await")
                                && frame.getClassName().contains("InFlight")) {
                            blocked++;
                            break;
                        }
                    }
                }
            }
            if (blocked >= waiters.size() || waiters.stream().anyMatch(Future::isDone)) {
                return;
            }
            Thread.yield();
        }
    }

    @Test
    void checkedLoaderExceptionsAreWrappedAndNullCachesNothing() {
        LoadingCache<String, String> cache = CacheBuilder.newBuilder()
                .maximumSize(10)
                .executor(Runnable::run)
                .recordStats()
                .build(key -> {
                    if (key.equals("io")) {
                        throw new IOException("disk");
                    }
                    return key.equals("none") ? null : key.toUpperCase();
                });
        CacheException e = assertThrows(CacheException.class, () -> cache.get("io"));
        assertEquals("loading key io failed", e.getMessage());
        assertTrue(e.getCause() instanceof IOException);
        assertNull(cache.get("none"));
        assertEquals(0, cache.estimatedSize());
        assertEquals("A", cache.get("a"));
        assertEquals(Map.of("a", "A", "b", "B"), cache.getAll(List.of("a", "none", "b")));
        assertEquals(2, cache.stats().loadSuccessCount());
        assertEquals(3, cache.stats().loadFailureCount());
    }

    @Test
    void recursiveLoadOfTheSameKeyIsAClearError() {
        Cache<String, String> cache = CacheBuilder.newBuilder().maximumSize(10).build();
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> cache.get("k", key -> cache.get("k", k2 -> "inner")));
        assertTrue(e.getMessage().startsWith("recursive load"), e.getMessage());
        assertNull(cache.getIfPresent("k"));
    }

    @Test
    void anInvalidateDuringALoadIsNotOverwrittenByTheLoadedValue() {
        Cache<String, String> cache = CacheBuilder.newBuilder()
                .maximumSize(10)
                .executor(Runnable::run)
                .build();
        String v = cache.get("k", key -> {
            cache.invalidate("k");
            return "stale";
        });
        assertEquals("stale", v);
        assertNull(cache.getIfPresent("k"));
        String w = cache.get("j", key -> {
            cache.put("j", "newer");
            return "loaded";
        });
        assertEquals("newer", w);
        assertEquals("newer", cache.getIfPresent("j"));
    }
}
