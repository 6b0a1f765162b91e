package io.infrablocks.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.infrablocks.cache.internal.writeback.WriteBackEngine;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class WriteBackCacheTest {

    private final TestStore<String, String> store = new TestStore<>();
    private final WriteBackClock ticker = new WriteBackClock();
    private final List<DeadLetter<String, String>> letters = new CopyOnWriteArrayList<>();
    private WriteBackCache<String, String> cache;

    private WriteBackBuilder<String, String> builder(long maximumSize) {
        return CacheBuilder.newBuilder()
                .maximumSize(maximumSize)
                .writeBack(store)
                .name("test")
                .ticker(ticker)
                .maxDelay(Duration.ofHours(1))
                .backoff(Duration.ZERO, Duration.ZERO)
                .closeTimeout(Duration.ZERO)
                .deadLetterHandler(letters::add);
    }

    @AfterEach
    void closeCache() {
        if (cache != null) {
            store.down.set(false);
            store.poison = k -> false;
            store.beforeCall = () -> {};
            try {
                cache.close();
            } catch (UnstoredWritesException expectedInSomeTests) {
                // reported; the tests that care assert it themselves
            }
        }
    }

    private void advance(Duration d) {
        ticker.advance(d);
        ((WriteBackEngine<?, ?>) cache).wakeUp();
    }

    @Test
    void dirtyValuesStayReadableWhenTheCleanCacheEvictsThem() throws Exception {
        cache = builder(1).build();
        for (int i = 0; i < 5; i++) {
            cache.put("k" + i, "v" + i);
        }
        assertEquals(5, cache.dirtyCount());
        assertTrue(store.data.isEmpty());
        for (int i = 0; i < 5; i++) {
            assertEquals("v" + i, cache.get("k" + i));
            assertEquals("v" + i, cache.getIfPresent("k" + i));
        }
        assertEquals(0, store.loads.get());
        cache.flush().get(5, TimeUnit.SECONDS);
        assertEquals(0, cache.dirtyCount());
        assertEquals(Map.of("k0", "v0", "k1", "v1", "k2", "v2", "k3", "v3", "k4", "v4"), store.snapshot());
        for (int i = 0; i < 5; i++) {
            assertEquals("v" + i, cache.get("k" + i));
        }
    }

    @Test
    void putThenDeleteIsWrittenAsOneDelete() throws Exception {
        store.data.put("k", "old");
        cache = builder(10).build();
        cache.put("k", "v1");
        cache.put("k", "v2");
        cache.delete("k");
        assertNull(cache.get("k"));
        cache.flush().get(5, TimeUnit.SECONDS);
        assertEquals(List.of(new TestStore.Call("delete", List.of("k"))), store.calls);
        assertFalse(store.data.containsKey("k"));
        assertNull(cache.get("k"));
        WriteBackMetrics m = cache.metrics();
        assertEquals(3, m.writes());
        assertEquals(1, m.storedWrites());
        assertEquals(3.0, m.coalescingRatio());
    }

    @Test
    void aFullBatchIsWrittenWithoutWaitingForTheDelay() throws Exception {
        cache = builder(10).batchSize(3).build();
        cache.put("a", "1");
        cache.put("b", "2");
        cache.put("c", "3");
        assertTrue(store.callsMade.tryAcquire(5, TimeUnit.SECONDS));
        assertEquals(List.of(new TestStore.Call("write", List.of("a", "b", "c"))), store.calls);
    }

    @Test
    void aDirtyKeyIsWrittenOnceMaxDelayHasPassed() throws Exception {
        cache = builder(10).maxDelay(Duration.ofMillis(100)).build();
        cache.put("a", "1");
        advance(Duration.ofMillis(99));
        assertFalse(store.callsMade.tryAcquire(50, TimeUnit.MILLISECONDS));
        assertTrue(store.calls.isEmpty());
        advance(Duration.ofMillis(1));
        assertTrue(store.callsMade.tryAcquire(5, TimeUnit.SECONDS));
        assertEquals(Map.of("a", "1"), store.snapshot());
    }

    @Test
    void aPartialFailureRetriesOnlyTheFailedKeys() throws Exception {
        cache = builder(10).build();
        store.poison = k -> k.equals("b") && store.attempts.get() == 1;
        cache.put("a", "1");
        cache.put("b", "2");
        cache.put("c", "3");
        cache.flush().get(5, TimeUnit.SECONDS);
        assertEquals(
                List.of(new TestStore.Call("write", List.of("a", "b", "c")), new TestStore.Call("write", List.of("b"))),
                store.calls);
        assertEquals(Map.of("a", "1", "b", "2", "c", "3"), store.snapshot());
        assertEquals(1, cache.metrics().retries());
    }

    @Test
    void aKeyThatKeepsFailingIsDeadLetteredWithoutBlockingOthers() throws Exception {
        store.data.put("bad", "stored");
        cache = builder(10).maxAttempts(3).build();
        store.poison = k -> k.equals("bad");
        cache.put("bad", "x");
        cache.put("good", "1");
        cache.flush().get(5, TimeUnit.SECONDS);
        assertEquals(1, letters.size());
        DeadLetter<String, String> letter = letters.get(0);
        assertEquals("bad", letter.key());
        assertEquals("x", letter.value());
        assertFalse(letter.delete());
        assertEquals(3, letter.attempts());
        assertEquals(DeadLetter.Reason.ATTEMPTS_EXHAUSTED, letter.reason());
        assertTrue(letter.lastFailure() instanceof CacheStoreException);
        assertEquals("1", store.data.get("good"));
        assertEquals("stored", cache.get("bad"), "after a dead letter the store's value is visible again");
        cache.put("good", "2");
        cache.flush().get(5, TimeUnit.SECONDS);
        assertEquals("2", store.data.get("good"));
        assertEquals(1, cache.metrics().deadLetters());
        assertEquals(2, cache.metrics().retries());
    }

    @Test
    void aWriteAtTheDirtyBoundFailsWithTheBoundInTheMessage() {
        store.down.set(true);
        cache = builder(10).maxDirty(2).dirtyTimeout(Duration.ZERO).build();
        cache.put("a", "1");
        cache.put("b", "2");
        cache.put("a", "3"); // an already dirty key never waits
        DirtyLimitExceededException e = assertThrows(DirtyLimitExceededException.class, () -> cache.put("c", "4"));
        assertEquals(
                "write-back cache 'test' at its dirty bound: 2 dirty keys (maxDirty=2), timed out after 0 ms"
                        + " (dirtyTimeout=0 ms); the write was not applied; the store is not keeping up",
                e.getMessage());
        assertNull(cache.getIfPresent("c"));
        assertEquals(1, cache.metrics().backpressureTimeouts());
    }

    @Test
    void aBlockedWriterProceedsWhenRoomAppears() throws Exception {
        cache = builder(10).maxDirty(1).dirtyTimeout(Duration.ofHours(1)).build();
        cache.put("a", "1");
        CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> cache.put("b", "2"));
        while (cache.metrics().backpressureWaits() == 0) {
            Thread.onSpinWait();
        }
        assertFalse(blocked.isDone());
        cache.flush().get(5, TimeUnit.SECONDS);
        blocked.get(5, TimeUnit.SECONDS);
        cache.flush().get(5, TimeUnit.SECONDS);
        assertEquals(Map.of("a", "1", "b", "2"), store.snapshot());
    }

    @Test
    void flushCompletesOnlyOnceEarlierWritesAreStored() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        store.beforeCall = () -> {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        cache = builder(10).build();
        cache.put("a", "1");
        CompletableFuture<Void> flushed = cache.flush();
        assertTrue(entered.await(5, TimeUnit.SECONDS));
        cache.put("a", "2"); // written after the flush call: the flush need not wait for it
        assertFalse(flushed.isDone());
        release.countDown();
        flushed.get(5, TimeUnit.SECONDS);
        assertEquals(1, cache.metrics().flushes());
        cache.flush().get(5, TimeUnit.SECONDS);
        assertEquals("2", store.data.get("a"));
        assertEquals(
                List.of(new TestStore.Call("write", List.of("a")), new TestStore.Call("write", List.of("a"))),
                store.calls);
    }

    @Test
    void closeReportsWhatItCouldNotStore() {
        store.down.set(true);
        // One store attempt at close, then a backoff on the test ticker (which never advances): without it the
        // writer could exhaust maxAttempts during close's writer join and dead-letter the keys as
        // ATTEMPTS_EXHAUSTED, leaving close nothing to report (seen once in CI).
        cache = builder(10).backoff(Duration.ofHours(1), Duration.ofHours(1)).build();
        cache.put("a", "1");
        cache.delete("b");
        UnstoredWritesException e = assertThrows(UnstoredWritesException.class, cache::close);
        assertEquals(2, e.unstoredKeys().size());
        assertTrue(
                e.getMessage().startsWith("write-back cache 'test' closed with 2 unstored write(s) after 0 ms"),
                e.getMessage());
        assertTrue(e.getMessage().contains("dead-letter handler"), e.getMessage());
        assertEquals(2, letters.size());
        for (DeadLetter<String, String> letter : letters) {
            assertEquals(DeadLetter.Reason.CLOSED, letter.reason());
            assertEquals(letter.key().equals("b"), letter.delete());
        }
        cache.close(); // idempotent
        IllegalStateException closed = assertThrows(IllegalStateException.class, () -> cache.put("c", "1"));
        assertEquals("write-back cache 'test' is closed", closed.getMessage());
        cache = null;
    }

    @Test
    void closeFlushesEverything() {
        cache = builder(10).closeTimeout(Duration.ofSeconds(10)).build();
        for (int i = 0; i < 250; i++) {
            cache.put("k" + (i % 100), "v" + i);
        }
        cache.close();
        assertEquals(100, store.data.size());
        assertEquals("v249", store.data.get("k49"));
        cache = null;
    }

    @Test
    void getLoadsFromTheStoreAndCachesTheValue() {
        store.data.put("a", "1");
        cache = builder(10).build();
        assertEquals("1", cache.get("a"));
        assertEquals("1", cache.get("a"));
        assertEquals(1, store.loads.get());
        cache.invalidate("a");
        assertEquals("1", cache.get("a"));
        assertEquals(2, store.loads.get());
        assertNull(cache.get("missing"));
    }

    @Test
    void aListenerSeesStoreCallsAndRetriesAndCannotStallTheWriters() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        store.poison = k -> k.equals("b") && store.attempts.get() == 1;
        cache = builder(10)
                .listener(new WriteBackListener() {
                    @Override
                    public void onStoreCall(int keys, int failedKeys, long nanos) {
                        events.add("call " + keys + " " + failedKeys);
                        throw new IllegalStateException("a broken listener");
                    }

                    @Override
                    public void onRetry(Object key, int attempt, long delayNanos, Throwable cause) {
                        events.add("retry " + key + " " + attempt);
                    }
                })
                .build();
        cache.put("a", "1");
        cache.put("b", "2");
        cache.flush().get(5, TimeUnit.SECONDS);
        assertEquals(List.of("call 2 1", "retry b 1", "call 1 0"), events);
        assertEquals(Map.of("a", "1", "b", "2"), store.snapshot());
    }

    @Test
    void settingsAreValidatedWithTheirValues() {
        assertEquals(
                "batchSize must be > 0 but was 0",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> builder(1).batchSize(0).build())
                        .getMessage());
        assertEquals(
                "maxDirty must be > 0 but was -1",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> builder(1).maxDirty(-1).build())
                        .getMessage());
        assertEquals(
                "maxDelay must be >= 0 but was PT-1S",
                assertThrows(IllegalArgumentException.class, () -> builder(1)
                                .maxDelay(Duration.ofSeconds(-1))
                                .build())
                        .getMessage());
        assertEquals(
                "backoff max must be >= initial (PT1S) but was PT0.5S",
                assertThrows(IllegalArgumentException.class, () -> builder(1)
                                .backoff(Duration.ofSeconds(1), Duration.ofMillis(500))
                                .build())
                        .getMessage());
        assertEquals(
                "journal(/tmp/x) needs codecs(keyCodec, valueCodec) to journal keys and values",
                assertThrows(IllegalStateException.class, () -> builder(1)
                                .journal(java.nio.file.Path.of("/tmp/x"))
                                .build())
                        .getMessage());
        cache = builder(1).build();
        assertEquals(
                "key",
                assertThrows(NullPointerException.class, () -> cache.put(null, "v"))
                        .getMessage());
    }

    @Test
    void backoffGrowsExponentiallyWithJitterUpToTheMax() {
        cache = builder(10)
                .backoff(Duration.ofMillis(100), Duration.ofSeconds(1))
                .build();
        WriteBackEngine<?, ?> engine = (WriteBackEngine<?, ?>) cache;
        long ms = 1_000_000;
        for (int i = 0; i < 50; i++) {
            assertBetween(50 * ms, 100 * ms, engine.backoffNanos(1));
            assertBetween(100 * ms, 200 * ms, engine.backoffNanos(2));
            assertBetween(200 * ms, 400 * ms, engine.backoffNanos(3));
            assertBetween(500 * ms, 1000 * ms, engine.backoffNanos(10));
            assertBetween(500 * ms, 1000 * ms, engine.backoffNanos(1000));
        }
    }

    private static void assertBetween(long lo, long hi, long actual) {
        assertTrue(actual >= lo && actual <= hi, actual + " not in [" + lo + ", " + hi + "]");
    }
}
