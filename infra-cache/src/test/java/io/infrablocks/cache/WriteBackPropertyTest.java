package io.infrablocks.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class WriteBackPropertyTest {

    record Op(int key, boolean delete) {}

    @Provide
    Arbitrary<Op> ops() {
        return Combinators.combine(
                        Arbitraries.integers().between(0, 7),
                        Arbitraries.integers().between(0, 3))
                .as((k, d) -> new Op(k, d == 0));
    }

    /**
     * For any puts and deletes from several threads, with random whole and partial store failures and random
     * store delays, after flush() the store holds exactly the last write of every key; the store never sees two
     * calls with the same key at once, and sees each key's puts in the order they were made.
     */
    @Property(tries = 40)
    void afterFlushTheStoreHoldsTheLastWriteOfEveryKey(
            @ForAll @Size(min = 2, max = 4) List<@Size(max = 60) List<@From("ops") Op>> perThread,
            @ForAll @IntRange(min = 1, max = 8) int batchSize,
            @ForAll @IntRange(min = 1, max = 3) int writerThreads,
            @ForAll @IntRange(min = 1, max = 16) int maxDirty,
            @ForAll @IntRange(min = 0, max = 60) int failurePercent,
            @ForAll @IntRange(min = 0, max = 2000) int maxDelayMicros,
            @ForAll long seed) {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            FlakyStore store = new FlakyStore(new Random(seed), failurePercent);
            WriteBackCache<String, String> cache = CacheBuilder.newBuilder()
                    .maximumSize(4)
                    .writeBack(store)
                    .name("property")
                    .batchSize(batchSize)
                    .writerThreads(writerThreads)
                    .maxDirty(maxDirty)
                    .dirtyTimeout(Duration.ofMinutes(1))
                    .maxDelay(Duration.ofNanos(maxDelayMicros * 1000L))
                    .maxAttempts(Integer.MAX_VALUE)
                    .backoff(Duration.ofNanos(1000), Duration.ofNanos(50_000))
                    .build();
            Map<String, String> expected = new ConcurrentHashMap<>();
            Set<String> touched = ConcurrentHashMap.newKeySet();
            CyclicBarrier start = new CyclicBarrier(perThread.size());
            List<Throwable> errors = new CopyOnWriteArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < perThread.size(); t++) {
                int thread = t;
                List<Op> ops = perThread.get(t);
                threads.add(new Thread(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < ops.size(); i++) {
                            Op op = ops.get(i);
                            String key = thread + "-" + op.key();
                            touched.add(key);
                            if (op.delete()) {
                                cache.delete(key);
                                expected.remove(key);
                            } else {
                                String value = key + "-" + i;
                                cache.put(key, value);
                                expected.put(key, value);
                            }
                            // get, not getIfPresent: once a write is stored it may leave memory (maximumSize 4),
                            // and getIfPresent never loads. get reads staging, then the cache, then the store,
                            // so it sees this thread's last write whether it is still dirty or already stored.
                            String read = cache.get(key);
                            if (op.delete()
                                    ? read != null
                                    : !key.concat("-" + i).equals(read)) {
                                throw new AssertionError("read-your-writes violated for " + key + ": read " + read);
                            }
                            if (i % 17 == 16) {
                                cache.flush();
                            }
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                }));
            }
            threads.forEach(Thread::start);
            for (Thread th : threads) {
                th.join();
            }
            assertEquals(List.of(), errors);
            cache.flush().get(50, TimeUnit.SECONDS);
            assertEquals(expected, store.snapshot());
            assertEquals(0, cache.dirtyCount());
            assertEquals(0, store.overlaps.get(), "a key was in two store calls at once");
            for (Map.Entry<String, List<Integer>> h : store.history.entrySet()) {
                List<Integer> seen = h.getValue();
                for (int i = 1; i < seen.size(); i++) {
                    assertTrue(seen.get(i - 1) < seen.get(i), "out of order writes of " + h.getKey() + ": " + seen);
                }
            }
            for (String key : touched) {
                assertEquals(expected.get(key), cache.get(key));
            }
            cache.close();
        });
    }

    /** A store that fails whole calls or single keys at random and spins a random while per call. */
    static final class FlakyStore implements CacheStore<String, String> {
        private final Random random;
        private final int failurePercent;
        final Map<String, String> data = new ConcurrentHashMap<>();
        final Map<String, List<Integer>> history = new ConcurrentHashMap<>();
        final Set<String> inFlight = ConcurrentHashMap.newKeySet();
        final AtomicInteger overlaps = new AtomicInteger();

        FlakyStore(Random random, int failurePercent) {
            this.random = random;
            this.failurePercent = failurePercent;
        }

        private int nextInt(int bound) {
            synchronized (random) {
                return random.nextInt(bound);
            }
        }

        @Override
        public String load(String key) {
            return data.get(key);
        }

        @Override
        public void writeAll(Map<? extends String, ? extends String> entries) {
            apply(entries.keySet(), k -> {
                String v = entries.get(k);
                data.put(k, v);
                history.computeIfAbsent(k, x -> new CopyOnWriteArrayList<>())
                        .add(Integer.parseInt(v.substring(v.lastIndexOf('-') + 1)));
            });
        }

        @Override
        public void deleteAll(Collection<? extends String> keys) {
            apply(keys, data::remove);
        }

        private void apply(Collection<? extends String> keys, java.util.function.Consumer<String> action) {
            for (String k : keys) {
                if (!inFlight.add(k)) {
                    overlaps.incrementAndGet();
                }
            }
            try {
                for (int spins = nextInt(200); spins > 0; spins--) {
                    Thread.yield();
                }
                if (nextInt(100) < failurePercent / 2) {
                    throw new IllegalStateException("injected outage");
                }
                List<String> failed = new ArrayList<>();
                for (String k : keys) {
                    if (nextInt(100) < failurePercent / 2) {
                        failed.add(k);
                    } else {
                        action.accept(k);
                    }
                }
                if (!failed.isEmpty()) {
                    throw CacheStoreException.partial("injected key failures", failed, null);
                }
            } finally {
                for (String k : keys) {
                    inFlight.remove(k);
                }
            }
        }

        Map<String, String> snapshot() {
            return new HashMap<>(data);
        }
    }
}
