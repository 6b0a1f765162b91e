package io.infrablocks.pool.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class BoundedQueueTest {

    /** Waits until {@code thread} is parked (WAITING or TIMED_WAITING) inside the queue. */
    private static void awaitParked(Thread thread) {
        while (thread.getState() != Thread.State.WAITING && thread.getState() != Thread.State.TIMED_WAITING) {
            assertTrue(thread.isAlive(), "thread ended before parking");
            Thread.onSpinWait();
        }
    }

    @Test
    void rejectsBadCapacityWithTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BoundedQueue.withCapacity(0));
        assertEquals("capacity must be > 0 but was 0", e.getMessage());
        assertThrows(
                NullPointerException.class, () -> BoundedQueue.withCapacity(1).offer(null));
    }

    @Test
    void fullAndEmptyTransitions() {
        for (int capacity : new int[] {1, 3, 4, 7, 8}) {
            BoundedQueue<Integer> q = BoundedQueue.withCapacity(capacity);
            assertEquals(capacity, q.capacity());
            for (int lap = 0; lap < 3; lap++) {
                assertNull(q.poll());
                assertTrue(q.isEmpty());
                assertEquals(capacity, q.remainingCapacity());
                for (int i = 0; i < capacity; i++) {
                    assertTrue(q.offer(i));
                    assertEquals(i + 1, q.size());
                }
                assertFalse(q.offer(99), "full at " + capacity);
                assertEquals(0, q.remainingCapacity());
                assertEquals(0, q.peek());
                for (int i = 0; i < capacity; i++) {
                    assertEquals(i, q.poll());
                    assertEquals(i + 1, q.remainingCapacity());
                }
            }
        }
    }

    @Test
    void timedPollOnEmptyReturnsNullAfterTheTimeout() throws InterruptedException {
        BoundedQueue<String> q = BoundedQueue.withCapacity(2);
        long start = System.nanoTime();
        assertNull(q.poll(20, TimeUnit.MILLISECONDS));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(20));
        assertNull(q.poll(0, TimeUnit.MILLISECONDS));
        assertNull(q.poll(-1, TimeUnit.MILLISECONDS));
    }

    @Test
    void timedOfferOnFullReturnsFalseAfterTheTimeoutAndInsertsNothing() throws InterruptedException {
        BoundedQueue<String> q = BoundedQueue.withCapacity(1);
        q.put("a");
        long start = System.nanoTime();
        assertFalse(q.offer("b", 20, TimeUnit.MILLISECONDS));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(20));
        assertEquals(List.of("a"), new ArrayList<>(q));
    }

    @Test
    void takeParksUntilAnElementArrives() throws Exception {
        BoundedQueue<String> q = BoundedQueue.withCapacity(2);
        AtomicReference<String> taken = new AtomicReference<>();
        Thread consumer = new Thread(() -> {
            try {
                taken.set(q.take());
            } catch (InterruptedException e) {
                taken.set("interrupted");
            }
        });
        consumer.start();
        awaitParked(consumer);
        assertTrue(q.offer("x"));
        consumer.join();
        assertEquals("x", taken.get());
        assertTrue(q.isEmpty());
    }

    @Test
    void timedPollIsWokenByAnOffer() throws Exception {
        BoundedQueue<String> q = BoundedQueue.withCapacity(2);
        AtomicReference<String> taken = new AtomicReference<>();
        Thread consumer = new Thread(() -> {
            try {
                taken.set(q.poll(1, TimeUnit.HOURS));
            } catch (InterruptedException e) {
                taken.set("interrupted");
            }
        });
        consumer.start();
        awaitParked(consumer);
        q.put("y");
        consumer.join();
        assertEquals("y", taken.get());
    }

    @Test
    void putParksUntilRoomIsMade() throws Exception {
        BoundedQueue<String> q = BoundedQueue.withCapacity(1);
        q.put("a");
        CountDownLatch done = new CountDownLatch(1);
        Thread producer = new Thread(() -> {
            try {
                q.put("b");
                done.countDown();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        producer.start();
        awaitParked(producer);
        assertEquals(1, done.getCount());
        assertEquals("a", q.take());
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertEquals("b", q.poll());
        producer.join();
    }

    @Test
    void takeIsInterruptible() throws Exception {
        BoundedQueue<String> q = BoundedQueue.withCapacity(2);
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread consumer = new Thread(() -> {
            try {
                outcome.set(q.take());
            } catch (InterruptedException e) {
                outcome.set(e);
            }
        });
        consumer.start();
        awaitParked(consumer);
        consumer.interrupt();
        consumer.join();
        assertTrue(outcome.get() instanceof InterruptedException);
        // The wait left no registration behind: an offer is taken by the next consumer.
        q.offer("z");
        assertEquals("z", q.take());
    }

    @Test
    void putIsInterruptibleAndInsertsNothing() throws Exception {
        BoundedQueue<String> q = BoundedQueue.withCapacity(1);
        q.put("a");
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread producer = new Thread(() -> {
            try {
                q.put("b");
                outcome.set("inserted");
            } catch (InterruptedException e) {
                outcome.set(e);
            }
        });
        producer.start();
        awaitParked(producer);
        producer.interrupt();
        producer.join();
        assertTrue(outcome.get() instanceof InterruptedException);
        assertEquals(List.of("a"), new ArrayList<>(q));
    }

    @Test
    void anInterruptedThreadFailsFastInBlockingCalls() {
        BoundedQueue<String> q = BoundedQueue.withCapacity(1);
        q.offer("a");
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, q::take);
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, () -> q.put("b"));
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, () -> q.poll(1, TimeUnit.SECONDS));
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, () -> q.offer("b", 1, TimeUnit.SECONDS));
        assertFalse(Thread.interrupted());
        assertEquals(List.of("a"), new ArrayList<>(q));
    }

    @Test
    void manyParkedConsumersAreAllServed() throws Exception {
        BoundedQueue<Integer> q = BoundedQueue.withCapacity(2);
        int consumers = 4;
        List<Thread> threads = new ArrayList<>();
        List<Integer> received = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < consumers; i++) {
            Thread t = new Thread(() -> {
                try {
                    received.add(q.take());
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            awaitParked(t);
        }
        for (int i = 0; i < consumers; i++) {
            q.put(i);
        }
        for (Thread t : threads) {
            t.join();
        }
        received.sort(null);
        assertEquals(List.of(0, 1, 2, 3), received);
    }

    @Test
    void drainToMovesUpToTheLimitInOrder() {
        BoundedQueue<Integer> q = BoundedQueue.withCapacity(5);
        for (int i = 0; i < 5; i++) {
            q.add(i);
        }
        List<Integer> out = new ArrayList<>();
        assertEquals(2, q.drainTo(out, 2));
        assertEquals(List.of(0, 1), out);
        assertEquals(3, q.drainTo(out));
        assertEquals(List.of(0, 1, 2, 3, 4), out);
        assertEquals(0, q.drainTo(out));
        assertThrows(IllegalArgumentException.class, () -> q.drainTo(q));
        assertThrows(NullPointerException.class, () -> q.drainTo(null));
    }

    @Test
    void removeLeavesATombstoneThatHoldsItsSlotUntilConsumed() {
        BoundedQueue<String> q = BoundedQueue.withCapacity(3);
        q.add("a");
        q.add("b");
        q.add("c");
        assertTrue(q.remove("b"));
        assertFalse(q.remove("b"));
        assertEquals(2, q.size());
        assertEquals(0, q.remainingCapacity(), "the tombstone still takes a slot");
        assertEquals(List.of("a", "c"), new ArrayList<>(q));
        assertFalse(q.contains("b"));
        assertEquals("a", q.poll());
        assertEquals("c", q.poll(), "the tombstone is skipped");
        assertEquals(3, q.remainingCapacity());
        assertNull(q.poll());
        assertEquals(0, q.size());
    }

    @Test
    void removingTheHeadMakesPeekSkipIt() {
        BoundedQueue<String> q = BoundedQueue.withCapacity(4);
        q.add("a");
        q.add("b");
        assertTrue(q.remove("a"));
        assertEquals("b", q.peek());
        assertEquals("b", q.element());
        assertEquals(3, q.remainingCapacity(), "a removed head frees its slot at once");
        q.add("c");
        assertTrue(q.remove("c"));
        assertEquals(2, q.remainingCapacity(), "a removed middle element holds its slot");
        assertTrue(q.remove("b"));
        assertEquals(4, q.remainingCapacity(), "removing the head frees the tombstones behind it");
        assertEquals(0, q.size());
    }

    @Test
    void iteratorIsWeaklyConsistent() {
        BoundedQueue<Integer> q = BoundedQueue.withCapacity(4);
        q.add(1);
        q.add(2);
        q.add(3);
        Iterator<Integer> it = q.iterator();
        assertEquals(1, it.next());
        q.poll(); // 1
        q.poll(); // 2: consumed before the iterator reached it, so skipped
        q.add(4); // added after the iterator was created: not seen
        assertTrue(it.hasNext());
        assertEquals(3, it.next());
        assertFalse(it.hasNext());
        assertEquals(List.of(3, 4), new ArrayList<>(q));
    }

    @Test
    void iteratorRemoveOfAConsumedElementIsANoOp() {
        BoundedQueue<Integer> q = BoundedQueue.withCapacity(4);
        q.add(1);
        q.add(2);
        Iterator<Integer> it = q.iterator();
        assertEquals(1, it.next());
        assertEquals(1, q.poll());
        it.remove();
        assertThrows(IllegalStateException.class, it::remove);
        assertEquals(List.of(2), new ArrayList<>(q));
    }

    @Test
    void pollBatchTakesAShareOfTheDepthInOrderAndSkipsTombstones() {
        BoundedQueue<Integer> q = BoundedQueue.withCapacity(16);
        for (int i = 0; i < 10; i++) {
            q.add(i);
        }
        assertTrue(q.remove(2));
        Object[] out = new Object[8];
        assertEquals(4, q.pollBatch(out, 8, 1), "10 deep, 1 consumer: claims 5 positions, one a tombstone");
        assertEquals(List.of(0, 1, 3, 4), java.util.Arrays.asList(out).subList(0, 4));
        assertEquals(1, q.pollBatch(out, 8, 4), "5 deep, 4 consumers: one");
        assertEquals(5, out[0]);
        assertEquals(4, q.size());
        assertEquals(12, q.remainingCapacity());
        assertEquals(2, q.pollBatch(out, 2, 1));
        assertEquals(List.of(6, 7), java.util.Arrays.asList(out).subList(0, 2));
        assertEquals(1, q.pollBatch(out, 8, 1), "2 deep, 1 consumer: half");
        assertEquals(1, q.pollBatch(out, 8, 1));
        assertEquals(9, out[0]);
        assertEquals(0, q.pollBatch(out, 8, 1));
        assertTrue(q.isEmpty());
    }

    @Test
    void toStringListsTheElements() {
        BoundedQueue<Integer> q = BoundedQueue.withCapacity(4);
        q.add(1);
        q.add(2);
        assertEquals("[1, 2]", q.toString());
    }
}
