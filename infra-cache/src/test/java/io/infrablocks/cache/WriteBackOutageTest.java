package io.infrablocks.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.infrablocks.cache.internal.writeback.WriteBackEngine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The store fails for a while, then recovers: nothing is lost and writers wait at the bound instead of failing. */
@Timeout(60)
class WriteBackOutageTest {

    @Test
    void writersAreBackpressuredDuringAnOutageAndEveryWriteIsStoredAfterIt() throws Exception {
        TestStore<String, String> store = new TestStore<>();
        WriteBackClock ticker = new WriteBackClock();
        List<DeadLetter<String, String>> letters = new CopyOnWriteArrayList<>();
        store.down.set(true);
        int maxDirty = 20;
        WriteBackCache<String, String> cache = CacheBuilder.newBuilder()
                .maximumSize(10)
                .writeBack(store)
                .name("outage")
                .ticker(ticker)
                .maxDelay(Duration.ZERO)
                .batchSize(8)
                .writerThreads(2)
                .maxDirty(maxDirty)
                .dirtyTimeout(Duration.ofHours(1))
                .maxAttempts(1000)
                .backoff(Duration.ofSeconds(1), Duration.ofSeconds(8))
                .deadLetterHandler(letters::add)
                .build();
        WriteBackEngine<?, ?> engine = (WriteBackEngine<?, ?>) cache;

        int writers = 4;
        int keysPerWriter = 30;
        Map<String, String> expected = new ConcurrentHashMap<>();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(writers);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            Thread t = new Thread(() -> {
                try {
                    for (int i = 0; i < keysPerWriter; i++) {
                        String key = writer + "-" + i;
                        cache.put(key, "v" + i);
                        cache.put(key, "w" + i); // coalesces, never waits
                        expected.put(key, "w" + i);
                    }
                } catch (Throwable e) {
                    errors.add(e);
                } finally {
                    done.countDown();
                }
            });
            threads.add(t);
            t.start();
        }

        // The outage: the writers fill the bound and then wait; none fails.
        while (cache.dirtyCount() < maxDirty || cache.metrics().backpressureWaits() < writers) {
            Thread.onSpinWait();
        }
        for (int round = 0; round < 5; round++) {
            int attemptsBefore = store.attempts.get();
            ticker.advance(Duration.ofSeconds(10));
            engine.wakeUp();
            while (store.attempts.get() == attemptsBefore) {
                Thread.onSpinWait();
            }
        }
        assertEquals(maxDirty, cache.dirtyCount());
        assertEquals(writers, done.getCount(), "every writer is still waiting at the bound");
        assertEquals(List.of(), errors);
        WriteBackMetrics during = cache.metrics();
        assertTrue(during.retries() >= maxDirty, "retries: " + during.retries());
        assertEquals(0, during.backpressureTimeouts());
        assertEquals(0, during.storedWrites());
        for (Map.Entry<String, String> e : expected.entrySet()) {
            assertEquals(e.getValue(), cache.get(e.getKey()), "readable during the outage");
        }

        // Recovery.
        store.down.set(false);
        ticker.advance(Duration.ofSeconds(10));
        engine.wakeUp();
        assertTrue(done.await(30, TimeUnit.SECONDS));
        // A batch that failed while the store was coming back may be due after the ticker's time (backoff up
        // to 8 s, computed after the advance above): keep the fake time moving until the flush completes.
        CompletableFuture<Void> flushed = cache.flush();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!flushed.isDone()) {
            assertTrue(System.nanoTime() - deadline < 0, "flush did not complete within 30 s after recovery");
            ticker.advance(Duration.ofSeconds(10));
            engine.wakeUp();
            try {
                flushed.get(20, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // not yet: advance again
            }
        }
        flushed.get();
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(List.of(), errors);
        assertEquals(writers * keysPerWriter, expected.size());
        assertEquals(expected, store.snapshot());
        assertEquals(List.of(), letters);
        WriteBackMetrics after = cache.metrics();
        assertEquals(0, after.dirtyCount());
        assertEquals(0, after.backpressureTimeouts());
        assertEquals(0, after.deadLetters());
        assertEquals(0, store.overlaps.get());
        cache.close();
    }
}
