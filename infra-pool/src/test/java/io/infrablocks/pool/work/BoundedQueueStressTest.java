package io.infrablocks.pool.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Producers and consumers hammer a small queue with every blocking and non-blocking operation; every element
 * arrives exactly once, and each consumer sees each producer's elements in the order they were produced.
 */
class BoundedQueueStressTest {

    private static final int PRODUCERS = 4;
    private static final int CONSUMERS = 4;
    private static final int PER_PRODUCER = 25_000;
    private static final long POISON = -1L;

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 16})
    void everyElementArrivesExactlyOnceInPerProducerOrder(int capacity) {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> run(capacity));
    }

    private static void run(int capacity) throws Exception {
        BoundedQueue<Long> q = BoundedQueue.withCapacity(capacity);
        CyclicBarrier start = new CyclicBarrier(PRODUCERS + CONSUMERS);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<BitSet> seen = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < PRODUCERS; p++) {
            int producer = p;
            threads.add(new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < PER_PRODUCER; i++) {
                        long e = ((long) producer << 32) | i;
                        switch (i % 3) {
                            case 0 -> q.put(e);
                            case 1 -> {
                                while (!q.offer(e, 50, TimeUnit.MICROSECONDS)) {
                                    Thread.onSpinWait();
                                }
                            }
                            default -> {
                                while (!q.offer(e)) {
                                    Thread.yield();
                                }
                            }
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        for (int c = 0; c < CONSUMERS; c++) {
            BitSet bits = new BitSet(PRODUCERS * PER_PRODUCER);
            seen.add(bits);
            threads.add(new Thread(() -> {
                int[] last = new int[PRODUCERS];
                java.util.Arrays.fill(last, -1);
                try {
                    start.await();
                    Object[] batch = new Object[4];
                    int batched = 0;
                    int next = 0;
                    for (int n = 0; ; n++) {
                        if (next == batched && n % 4 == 3) {
                            batched = q.pollBatch(batch, batch.length, CONSUMERS);
                            next = 0;
                        }
                        Long e;
                        if (next < batched) {
                            e = (Long) batch[next++];
                        } else {
                            e = switch (n % 3) {
                                case 0 -> q.take();
                                case 1 -> q.poll(50, TimeUnit.MICROSECONDS);
                                default -> q.poll();
                            };
                        }
                        if (e == null) {
                            continue;
                        }
                        if (e == POISON) {
                            return;
                        }
                        int producer = (int) (e >>> 32);
                        int i = (int) (long) e;
                        if (i <= last[producer]) {
                            throw new AssertionError("producer " + producer + ": " + i + " after " + last[producer]);
                        }
                        last[producer] = i;
                        bits.set(producer * PER_PRODUCER + i);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        threads.forEach(Thread::start);
        for (int i = 0; i < PRODUCERS; i++) {
            threads.get(i).join();
        }
        for (int c = 0; c < CONSUMERS; c++) {
            q.put(POISON);
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        BitSet all = new BitSet();
        int total = 0;
        for (BitSet bits : seen) {
            total += bits.cardinality();
            all.or(bits);
        }
        assertEquals(PRODUCERS * PER_PRODUCER, total, "no duplicates");
        assertEquals(PRODUCERS * PER_PRODUCER, all.cardinality(), "nothing lost");
        assertTrue(q.isEmpty());
        assertEquals(capacity, q.remainingCapacity());
    }

    /**
     * Removers ({@code remove(Object)} and {@code Iterator.remove()}) race consumers ({@code poll}, {@code
     * take}, {@code pollBatch}) for the same elements: each element goes to exactly one of them. Statistical:
     * the race's window is a few instructions wide, so this run rarely hits it; {@code
     * BoundedQueueRemovalRaceTest} drives each dangerous interleaving deterministically.
     */
    @Test
    void removersAndConsumersNeverBothObtainAnElement() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            int count = 30_000;
            BoundedQueue<Long> q = BoundedQueue.withCapacity(8);
            BitSet consumed = new BitSet(count);
            BitSet removed = new BitSet(count);
            AtomicLong produced = new AtomicLong();
            AtomicBoolean done = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CyclicBarrier start = new CyclicBarrier(4);
            List<Thread> threads = new ArrayList<>();
            threads.add(new Thread(() -> {
                try {
                    start.await();
                    for (long i = 0; i < count; i++) {
                        q.put(i);
                        produced.set(i + 1);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.set(true);
                }
            }));
            for (int c = 0; c < 2; c++) {
                boolean batching = c == 0;
                BitSet mine = new BitSet(count);
                threads.add(new Thread(() -> {
                    Object[] batch = new Object[4];
                    try {
                        start.await();
                        while (!done.get() || !q.isEmpty()) {
                            if (batching) {
                                int n = q.pollBatch(batch, batch.length, 2);
                                for (int k = 0; k < n; k++) {
                                    take(mine, (Long) batch[k]);
                                }
                            } else {
                                Long e = q.poll(100, TimeUnit.MICROSECONDS);
                                if (e != null) {
                                    take(mine, e);
                                }
                            }
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                    synchronized (consumed) {
                        consumed.or(mine);
                    }
                }));
            }
            threads.add(new Thread(() -> {
                try {
                    start.await();
                    for (int n = 0; !done.get(); n++) {
                        if (n % 2 == 0) {
                            long e = Math.max(0, produced.get() - 1 - (n % 5));
                            if (q.remove(e)) {
                                take(removed, e);
                            }
                        } else {
                            for (Iterator<Long> it = q.iterator(); it.hasNext(); ) {
                                Long e = it.next();
                                if (e % 3 == 0) {
                                    it.remove(); // may lose to a consumer: then it removes nothing
                                    if (!q.contains(e)) {
                                        continue;
                                    }
                                    throw new AssertionError(e + " still queued after Iterator.remove");
                                }
                            }
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join();
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            BitSet both = (BitSet) consumed.clone();
            both.and(removed);
            assertEquals(-1, both.nextSetBit(0), "an element was both consumed and removed");
            // Iterator.remove() does not report success: the elements it took are the ones nobody consumed.
            BitSet accounted = (BitSet) consumed.clone();
            accounted.or(removed);
            for (int i = accounted.nextClearBit(0); i < count; i = accounted.nextClearBit(i + 1)) {
                assertEquals(0, i % 3, "element " + i + " was lost");
            }
            assertTrue(q.isEmpty());
            assertEquals(8, q.remainingCapacity());
        });
    }

    private static void take(BitSet bits, Long e) {
        int i = (int) (long) e;
        if (bits.get(i)) {
            throw new AssertionError(e + " obtained twice");
        }
        bits.set(i);
    }
}
