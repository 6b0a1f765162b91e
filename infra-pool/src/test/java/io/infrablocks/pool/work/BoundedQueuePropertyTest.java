package io.infrablocks.pool.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CyclicBarrier;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class BoundedQueuePropertyTest {

    private static final Object TOMBSTONE = new Object();

    /** One operation of a single-threaded run. */
    record Op(int kind, int value) {}

    @Provide
    Arbitrary<Op> ops() {
        return Combinators.combine(
                        Arbitraries.integers().between(0, 6),
                        Arbitraries.integers().between(0, 9))
                .as(Op::new);
    }

    /**
     * A single-threaded run matches a model: a deque of entries where a removed element leaves a tombstone
     * that holds its slot until a poll passes it.
     */
    @Property(tries = 300)
    void behavesLikeTheModel(
            @ForAll @IntRange(min = 1, max = 9) int capacity, @ForAll @Size(max = 80) List<@From("ops") Op> ops) {
        BoundedQueue<Integer> queue = BoundedQueue.withCapacity(capacity);
        Deque<Object> model = new ArrayDeque<>();
        for (Op op : ops) {
            switch (op.kind()) {
                case 0, 1 -> {
                    boolean room = model.size() < capacity;
                    assertEquals(room, queue.offer(op.value()), "offer");
                    if (room) {
                        model.add(op.value());
                    }
                }
                case 2 -> {
                    Object expected = null;
                    while (!model.isEmpty() && expected == null) {
                        Object e = model.poll();
                        expected = e == TOMBSTONE ? null : e;
                    }
                    assertEquals(expected, queue.poll(), "poll");
                }
                case 3 -> {
                    boolean removed = false;
                    for (Iterator<Object> it = model.iterator(); it.hasNext() && !removed; ) {
                        Object e = it.next();
                        if (Objects.equals(e, op.value())) {
                            replaceFirst(model, e);
                            removed = true;
                        }
                    }
                    assertEquals(removed, queue.remove(op.value()), "remove");
                    while (removed && !model.isEmpty() && model.peek() == TOMBSTONE) {
                        model.poll(); // a tombstone at the head is freed at once
                    }
                }
                case 4 -> assertEquals(values(model).stream().findFirst().orElse(null), queue.peek(), "peek");
                case 5 -> {
                    List<Integer> drained = new ArrayList<>();
                    int max = op.value() % 4;
                    queue.drainTo(drained, max);
                    List<Object> expected = new ArrayList<>();
                    while (expected.size() < max && !model.isEmpty()) {
                        Object e = model.poll();
                        if (e != TOMBSTONE) {
                            expected.add(e);
                        }
                    }
                    assertEquals(expected, drained, "drainTo");
                }
                default -> assertEquals(values(model), new ArrayList<>(queue), "iteration");
            }
            assertEquals(values(model).size(), queue.size(), "size");
            assertEquals(capacity - model.size(), queue.remainingCapacity(), "remainingCapacity");
        }
    }

    private static void replaceFirst(Deque<Object> model, Object e) {
        Deque<Object> copy = new ArrayDeque<>();
        boolean done = false;
        for (Object x : model) {
            if (!done && x.equals(e)) {
                copy.add(TOMBSTONE);
                done = true;
            } else {
                copy.add(x);
            }
        }
        model.clear();
        model.addAll(copy);
    }

    private static List<Object> values(Deque<Object> model) {
        List<Object> values = new ArrayList<>();
        for (Object e : model) {
            if (e != TOMBSTONE) {
                values.add(e);
            }
        }
        return values;
    }

    /**
     * With several producers and one consumer, everything produced is consumed exactly once, and each
     * producer's elements come out in the order it put them in.
     */
    @Property(tries = 40)
    void fifoPerProducerAndExactlyOnce(
            @ForAll @IntRange(min = 1, max = 8) int capacity,
            @ForAll @IntRange(min = 1, max = 3) int producers,
            @ForAll @IntRange(min = 1, max = 300) int perProducer) {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            BoundedQueue<int[]> queue = BoundedQueue.withCapacity(capacity);
            CyclicBarrier start = new CyclicBarrier(producers + 1);
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                int producer = p;
                Thread t = new Thread(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < perProducer; i++) {
                            queue.put(new int[] {producer, i});
                        }
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
                t.start();
                threads.add(t);
            }
            start.await();
            int[] next = new int[producers];
            for (int n = 0; n < producers * perProducer; n++) {
                int[] e = queue.take();
                assertEquals(next[e[0]], e[1], "producer " + e[0] + " out of order");
                next[e[0]]++;
            }
            for (Thread t : threads) {
                t.join();
            }
            assertTrue(queue.isEmpty());
            for (int p = 0; p < producers; p++) {
                assertEquals(perProducer, next[p]);
            }
        });
    }
}
