package io.infrablocks.pool.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.infrablocks.pool.work.BoundedQueue.ProbePoint;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The remover-versus-consumer hand-off of {@link BoundedQueue}, driven through each dangerous interleaving
 * instead of hoping a stress run hits a window a few instructions wide. A test probe ({@link
 * BoundedQueue#probe}, active only with assertions enabled, as under surefire) holds a thread at a chosen
 * point of its operation while the other thread runs; every schedule asserts that the element went to exactly
 * one of the consumer and the remover, and that the queue's accounting is intact afterwards.
 *
 * <p>The schedules fail against deliberately broken queues (checked when this test was written, then the
 * queue restored): a consumer that always takes with a plain read and write, ignoring the removers count,
 * fails {@code removerPastItsChecksThenConsumer} (the remover's CAS succeeds on an element the consumer
 * returns too); a remover that does not check {@code head} before its CAS fails {@code
 * iteratorRemoveWhileConsumerHoldsTheElement} (a tombstone is counted for an element the consumer returned).
 * The statistical {@code BoundedQueueStressTest} complements them with real concurrency, but cannot be relied
 * on to hit a window a few instructions wide.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class BoundedQueueRemovalRaceTest {

    private static final long HOLD_SECONDS = 5;

    @BeforeAll
    static void probesAreActive() {
        assertTrue(
                BoundedQueue.class.desiredAssertionStatus(),
                "these schedules need the queue's probes, which run only with assertions enabled (-ea)");
    }

    /** Holds the thread named by a schedule at one probe point until released. */
    private static final class Scheduler implements BoundedQueue.Probe {
        private final Map<Thread, ProbePoint> targets = new ConcurrentHashMap<>();
        private final Map<Thread, CountDownLatch> arrived = new ConcurrentHashMap<>();
        private final Map<Thread, CountDownLatch> released = new ConcurrentHashMap<>();

        void hold(Thread thread, ProbePoint point) {
            targets.put(thread, point);
            arrived.put(thread, new CountDownLatch(1));
            released.put(thread, new CountDownLatch(1));
        }

        @Override
        public void at(ProbePoint point) {
            Thread self = Thread.currentThread();
            if (targets.get(self) != point) {
                return;
            }
            targets.remove(self);
            arrived.get(self).countDown();
            try {
                if (!released.get(self).await(HOLD_SECONDS, TimeUnit.SECONDS)) {
                    throw new AssertionError(self.getName() + " was never released from " + point);
                }
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }

        /** Waits until the thread reached its point (true) or finished without passing it (false). */
        boolean awaitArrivalOrEnd(Thread thread) throws InterruptedException {
            CountDownLatch latch = arrived.get(thread);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(HOLD_SECONDS);
            while (System.nanoTime() < deadline) {
                if (latch.await(1, TimeUnit.MILLISECONDS)) {
                    return true;
                }
                if (!thread.isAlive()) {
                    return latch.getCount() == 0;
                }
            }
            throw new AssertionError(thread.getName() + " neither reached its point nor finished");
        }

        void release(Thread thread) {
            released.get(thread).countDown();
        }
    }

    /** A thread whose result (or failure) is kept. */
    private static final class Actor<T> {
        final AtomicReference<T> result = new AtomicReference<>();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread thread;

        Actor(String name, ThrowingSupplier<T> body) {
            thread = new Thread(
                    () -> {
                        try {
                            result.set(body.get());
                        } catch (Throwable t) {
                            failure.set(t);
                        }
                    },
                    name);
        }

        T join() throws InterruptedException {
            thread.join(TimeUnit.SECONDS.toMillis(HOLD_SECONDS * 2));
            assertFalse(thread.isAlive(), thread.getName() + " did not finish");
            if (failure.get() != null) {
                throw new AssertionError(thread.getName() + " failed", failure.get());
            }
            return result.get();
        }
    }

    @FunctionalInterface
    private interface ThrowingSupplier<T> {
        T get() throws Exception;
    }

    private static BoundedQueue<Long> queueHolding(int capacity, Scheduler scheduler) {
        BoundedQueue<Long> q = BoundedQueue.withCapacity(capacity);
        for (long i = 0; i < capacity; i++) {
            q.add(i); // the ring is full: the consumer's element is not also its last
        }
        assertEquals(0L, q.poll()); // head now at position 1, wrapped ring
        q.add((long) capacity);
        q.probe(scheduler);
        return q;
    }

    private static Actor<Long> consumer(BoundedQueue<Long> q, boolean batch) {
        return new Actor<>("consumer", () -> {
            if (!batch) {
                return q.poll();
            }
            Object[] out = new Object[1];
            return q.pollBatch(out, 1, 1) == 1 ? (Long) out[0] : null;
        });
    }

    /** The element went to exactly one side, and the queue holds exactly the other elements, in order. */
    private static void assertExactlyOnce(
            BoundedQueue<Long> q, int capacity, Long consumed, boolean removed, long element) {
        assertTrue(
                (consumed != null && consumed == element) ^ removed,
                "element " + element + ": consumed " + consumed + ", removed " + removed);
        q.probe(null);
        assertEquals(capacity - 1, q.size(), "size after the race");
        for (long i = element + 1; i <= capacity; i++) {
            assertEquals(i, q.poll());
        }
        assertNull(q.poll());
        assertEquals(0, q.size());
        assertEquals(capacity, q.remainingCapacity());
        q.add(99L); // the slots and the tombstone count are consistent: the ring is usable again
        assertEquals(1, q.size());
        assertEquals(99L, q.poll());
    }

    /**
     * The remover announced itself and found the element not yet consumed; then a consumer claims and takes
     * it before the remover's CAS. The consumer must see the announcement and take with an exchange, so the
     * remover's CAS fails.
     */
    @ParameterizedTest(name = "batch consumer: {0}")
    @ValueSource(booleans = {false, true})
    void removerPastItsChecksThenConsumer(boolean batch) throws Exception {
        int capacity = 4;
        Scheduler scheduler = new Scheduler();
        BoundedQueue<Long> q = queueHolding(capacity, scheduler);
        Actor<Boolean> remover = new Actor<>("remover", () -> q.remove(1L));
        scheduler.hold(remover.thread, ProbePoint.REMOVER_CHECKED);
        remover.thread.start();
        assertTrue(scheduler.awaitArrivalOrEnd(remover.thread));
        Actor<Long> consumer = consumer(q, batch);
        scheduler.hold(consumer.thread, ProbePoint.CONSUMER_READ); // a plain-read consumer stops here
        consumer.thread.start();
        scheduler.awaitArrivalOrEnd(consumer.thread);
        scheduler.release(remover.thread);
        boolean removed = remover.join();
        scheduler.release(consumer.thread);
        Long consumed = consumer.join();
        assertEquals(1L, consumed, "the consumer claimed the position first");
        assertFalse(removed, "the remover's CAS must lose to the consumer's exchange");
        assertExactlyOnce(q, capacity, consumed, removed, 1L);
    }

    /**
     * A consumer claimed the position and read the element (no remover about: plain read), and has not yet
     * cleared the slot; a remover now must see {@code head} past the position and leave the element alone.
     */
    @ParameterizedTest(name = "batch consumer: {0}")
    @ValueSource(booleans = {false, true})
    void consumerBetweenReadAndClearThenRemover(boolean batch) throws Exception {
        int capacity = 4;
        Scheduler scheduler = new Scheduler();
        BoundedQueue<Long> q = queueHolding(capacity, scheduler);
        Actor<Long> consumer = consumer(q, batch);
        scheduler.hold(consumer.thread, ProbePoint.CONSUMER_READ);
        consumer.thread.start();
        assertTrue(scheduler.awaitArrivalOrEnd(consumer.thread));
        Actor<Boolean> remover = new Actor<>("remover", () -> q.remove(1L));
        remover.thread.start();
        boolean removed = remover.join();
        scheduler.release(consumer.thread);
        Long consumed = consumer.join();
        assertFalse(removed, "the element was already claimed by a consumer");
        assertEquals(1L, consumed);
        assertExactlyOnce(q, capacity, consumed, removed, 1L);
    }

    /**
     * The remover announced itself but has not read {@code head} yet; a consumer claims the position (and
     * must take with an exchange, having seen the announcement); the remover then finds {@code head} past it.
     */
    @ParameterizedTest(name = "batch consumer: {0}")
    @ValueSource(booleans = {false, true})
    void removerAnnouncedThenConsumer(boolean batch) throws Exception {
        int capacity = 4;
        Scheduler scheduler = new Scheduler();
        BoundedQueue<Long> q = queueHolding(capacity, scheduler);
        Actor<Boolean> remover = new Actor<>("remover", () -> q.remove(1L));
        scheduler.hold(remover.thread, ProbePoint.REMOVER_ANNOUNCED);
        remover.thread.start();
        assertTrue(scheduler.awaitArrivalOrEnd(remover.thread));
        Actor<Long> consumer = consumer(q, batch);
        scheduler.hold(consumer.thread, ProbePoint.CONSUMER_READ);
        consumer.thread.start();
        scheduler.awaitArrivalOrEnd(consumer.thread);
        scheduler.release(remover.thread);
        boolean removed = remover.join();
        scheduler.release(consumer.thread);
        Long consumed = consumer.join();
        assertFalse(removed);
        assertEquals(1L, consumed);
        assertExactlyOnce(q, capacity, consumed, removed, 1L);
    }

    /**
     * {@code Iterator.remove()} (which reports nothing) while a consumer holds the element between its read
     * and the clearing of the slot: the element must not be both returned and counted as a tombstone.
     */
    @ParameterizedTest(name = "batch consumer: {0}")
    @ValueSource(booleans = {false, true})
    void iteratorRemoveWhileConsumerHoldsTheElement(boolean batch) throws Exception {
        int capacity = 4;
        Scheduler scheduler = new Scheduler();
        BoundedQueue<Long> q = queueHolding(capacity, scheduler);
        Iterator<Long> it = q.iterator();
        assertEquals(1L, it.next());
        Actor<Long> consumer = consumer(q, batch);
        scheduler.hold(consumer.thread, ProbePoint.CONSUMER_READ);
        consumer.thread.start();
        assertTrue(scheduler.awaitArrivalOrEnd(consumer.thread));
        it.remove();
        scheduler.release(consumer.thread);
        Long consumed = consumer.join();
        assertEquals(1L, consumed);
        assertExactlyOnce(q, capacity, consumed, false, 1L);
    }
}
