package io.infrablocks.pool.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class WorkerPoolPropertyTest {

    enum Ending {
        SHUTDOWN_AFTER,
        SHUTDOWN_NOW_AFTER,
        SHUTDOWN_NOW_DURING
    }

    @Provide
    Arbitrary<OverflowPolicy> policies() {
        return Arbitraries.of(
                OverflowPolicy.BLOCK,
                OverflowPolicy.blockWithTimeout(Duration.ofMillis(1)),
                OverflowPolicy.REJECT,
                OverflowPolicy.CALLER_RUNS,
                OverflowPolicy.DROP_OLDEST);
    }

    /** A task of {@code execute}, identified by its number. */
    private record Task(int id, AtomicIntegerArray ran, int spins, boolean throwing, List<Integer> starts)
            implements Runnable {
        @Override
        public void run() {
            ran.incrementAndGet(id);
            if (Thread.currentThread().getName().startsWith("infra-pool-")) {
                starts.add(id);
            }
            for (int i = 0; i < spins; i++) {
                Thread.onSpinWait();
            }
            if (throwing) {
                throw new IllegalStateException("task " + id);
            }
        }
    }

    /**
     * Every submitted task has exactly one fate: it ran, or it was rejected, dropped, or returned by {@code
     * shutdownNow}; never two, never none. With one worker, each producer's tasks start in submission order.
     * With an adaptive concurrency limit ({@code limit > 0}), the policy also applies at the limit, and every
     * permit is given back by the time the pool has terminated.
     */
    @Property(tries = 60)
    void everyTaskHasExactlyOneFate(
            @ForAll @IntRange(min = 1, max = 3) int workers,
            @ForAll @IntRange(min = 1, max = 6) int capacity,
            @ForAll("policies") OverflowPolicy policy,
            @ForAll @IntRange(min = 1, max = 3) int producers,
            @ForAll @IntRange(min = 1, max = 40) int perProducer,
            @ForAll @IntRange(min = 0, max = 3000) int spins,
            @ForAll Ending ending,
            @ForAll @IntRange(min = 0, max = 4) int limit) {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            int total = producers * perProducer;
            AtomicIntegerArray ran = new AtomicIntegerArray(total);
            AtomicIntegerArray rejected = new AtomicIntegerArray(total);
            AtomicIntegerArray dropped = new AtomicIntegerArray(total);
            AtomicIntegerArray returned = new AtomicIntegerArray(total);
            List<Integer> starts = java.util.Collections.synchronizedList(new ArrayList<>());
            Map<Future<?>, Integer> futures = new ConcurrentHashMap<>();
            AtomicInteger attempts = new AtomicInteger();
            WorkerPool.Builder builder = WorkerPool.builder("prop")
                    .workers(workers)
                    .queueCapacity(capacity)
                    .overflowPolicy(policy)
                    .latencySampleRate(2)
                    .taskExceptionHandler((task, error) -> {
                        if (error instanceof TaskDroppedException) {
                            dropped.incrementAndGet(((Task) task).id());
                        }
                    });
            if (limit > 0) {
                builder.adaptiveLimit(AdaptiveLimit.vegas(limit, 1, limit + 2));
            }
            WorkerPool pool = builder.build();
            CyclicBarrier start = new CyclicBarrier(producers + 1);
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                int producer = p;
                Thread t = new Thread(() -> {
                    try {
                        start.await();
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                    for (int i = 0; i < perProducer; i++) {
                        int id = producer * perProducer + i;
                        Task task = new Task(id, ran, spins, id % 5 == 4, starts);
                        try {
                            if (id % 2 == 0) {
                                pool.execute(task);
                            } else {
                                futures.put(pool.submit(() -> task.run(), id), id);
                            }
                        } catch (RejectedExecutionException e) {
                            rejected.incrementAndGet(id);
                        } catch (IllegalStateException e) {
                            // a throwing task run by the caller (CALLER_RUNS, execute): it ran
                        }
                        attempts.incrementAndGet();
                    }
                });
                t.start();
                threads.add(t);
            }
            start.await();
            List<Runnable> neverRun = List.of();
            if (ending == Ending.SHUTDOWN_NOW_DURING) {
                while (attempts.get() < total / 2) {
                    Thread.onSpinWait();
                }
                neverRun = pool.shutdownNow();
            }
            for (Thread t : threads) {
                t.join();
            }
            if (ending == Ending.SHUTDOWN_AFTER) {
                pool.shutdown();
            } else if (ending == Ending.SHUTDOWN_NOW_AFTER) {
                neverRun = pool.shutdownNow();
            }
            assertTrue(pool.awaitTermination(20, TimeUnit.SECONDS), "terminated");
            Map<Runnable, Integer> futureIds = new HashMap<>();
            futures.forEach((f, id) -> futureIds.put((Runnable) f, id));
            for (Runnable r : neverRun) {
                int id = r instanceof Task task ? task.id() : futureIds.get(r);
                returned.incrementAndGet(id);
            }
            for (Map.Entry<Future<?>, Integer> e : futures.entrySet()) {
                if (e.getKey().isDone()) {
                    try {
                        e.getKey().get();
                    } catch (ExecutionException failure) {
                        if (failure.getCause() instanceof TaskDroppedException) {
                            dropped.incrementAndGet(e.getValue());
                        }
                    }
                }
            }
            long ranTotal = 0;
            long rejectedTotal = 0;
            long droppedTotal = 0;
            for (int id = 0; id < total; id++) {
                int fates = ran.get(id) + rejected.get(id) + dropped.get(id) + returned.get(id);
                assertEquals(
                        1,
                        fates,
                        "task " + id + ": ran " + ran.get(id) + ", rejected " + rejected.get(id) + ", dropped "
                                + dropped.get(id) + ", returned " + returned.get(id));
                ranTotal += ran.get(id);
                rejectedTotal += rejected.get(id);
                droppedTotal += dropped.get(id);
            }
            WorkerPoolMetrics m = pool.metrics();
            assertEquals(ranTotal, m.completed(), "completed");
            assertEquals(rejectedTotal, m.rejected(), "rejected");
            assertEquals(droppedTotal, m.dropped(), "dropped");
            assertEquals(0, pool.permitsHeld(), "permits of the adaptive limit still held");
            if (workers == 1) {
                int[] last = new int[producers];
                java.util.Arrays.fill(last, -1);
                for (int id : starts) {
                    int producer = id / perProducer;
                    assertTrue(id > last[producer], "producer " + producer + ": " + id + " after " + last[producer]);
                    last[producer] = id;
                }
            }
        });
    }
}
