package io.infrablocks.pool.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The adaptive concurrency limit of {@link WorkerPool}: the Vegas step, its wiring, and behaviour at the limit. */
@Timeout(20)
class AdaptiveLimitTest {

    private static final long MS = 1_000_000L;

    @Test
    void rejectsBadBoundsWithNameAndValue() {
        assertEquals(
                "minLimit must be > 0 but was 0",
                assertThrows(IllegalArgumentException.class, () -> AdaptiveLimit.vegas(1, 0, 5))
                        .getMessage());
        assertEquals(
                "maxLimit must be >= minLimit (5) but was 4",
                assertThrows(IllegalArgumentException.class, () -> AdaptiveLimit.vegas(5, 5, 4))
                        .getMessage());
        assertEquals(
                "initialLimit must be within [2, 9] but was 10",
                assertThrows(IllegalArgumentException.class, () -> AdaptiveLimit.vegas(10, 2, 9))
                        .getMessage());
        assertEquals(OptionalInt.empty(), WorkerPool.builder("none").build().concurrencyLimit());
    }

    @Test
    void vegasStep() {
        ConcurrencyLimiter limiter = new ConcurrencyLimiter(AdaptiveLimit.vegas(10, 2, 100));
        // No queueing (latency at the no-load level): grow by 6 x log10(limit).
        assertEquals(16, limiter.next(10, MS, MS, 10));
        assertEquals(100, limiter.next(100, MS, MS, 100)); // 100 + 12, capped at the maximum
        // A little queueing (q = ceil(20 x 0.09) = 2 < 3): grow by log10(limit).
        assertEquals(21, limiter.next(20, 100, 110, 20));
        // Sweet spot (3 <= q <= 6): unchanged.
        assertEquals(20, limiter.next(20, 100, 125, 20));
        // Queueing doubled the latency (q = 10 > 6): shrink by log10(limit).
        assertEquals(19, limiter.next(20, MS, 2 * MS, 20));
        // Under half the limit in flight: the samples say nothing, unchanged either way.
        assertEquals(20, limiter.next(20, MS, MS, 9));
        assertEquals(20, limiter.next(20, MS, 10 * MS, 9));
        // Heavy queueing shrinks by log10(limit), down to the minimum.
        assertEquals(9, limiter.next(10, MS, 100 * MS, 10));
        assertEquals(10, new ConcurrencyLimiter(AdaptiveLimit.vegas(10, 10, 100)).next(10, MS, 100 * MS, 10));
    }

    /**
     * Drives a one-worker pool in rounds with an injected clock: each round fills the limit with tasks that
     * wait on a gate, moves the clock on, and opens the gate; every task's submission-to-completion time is
     * then exactly the clock step, and completions are sequential (one worker), so the limit's path is exact.
     */
    @Test
    void limitGrowsAtNoLoadLatencyAndShrinksWhenQueueingRaisesIt() throws Exception {
        AtomicLong clock = new AtomicLong(1_000 * MS);
        try (WorkerPool pool = WorkerPool.builder("adaptive")
                .workers(1)
                .queueCapacity(1000)
                .overflowPolicy(OverflowPolicy.REJECT)
                .latencySampleRate(1)
                .nanoTime(clock::get)
                .adaptiveLimit(AdaptiveLimit.vegas(10, 1, 200))
                .build()) {
            long completed = 0;
            List<Integer> limits = new ArrayList<>();
            // Latency stays at its no-load level (1 ms): the limit grows.
            for (int round = 0; round < 3; round++) {
                completed += round(pool, clock, MS, completed);
                limits.add(pool.concurrencyLimit().getAsInt());
            }
            assertEquals(List.of(22, 40, 76), limits);
            // Queueing raises latency to 4x the no-load level: the limit shrinks, to where a 4x latency means
            // no more than 6 queued tasks (ceil(8 x 3/4) = 6).
            for (int round = 0; round < 2; round++) {
                completed += round(pool, clock, 4 * MS, completed);
                limits.add(pool.concurrencyLimit().getAsInt());
            }
            assertEquals(List.of(22, 40, 76, 8, 8), limits);
            assertEquals(0, pool.metrics().failed());
        }
    }

    /** One round: fill the limit, check the next task is rejected, step the clock, let the tasks finish. */
    private static int round(WorkerPool pool, AtomicLong clock, long latency, long completedBefore) {
        int limit = pool.concurrencyLimit().getAsInt();
        CountDownLatch gate = new CountDownLatch(1);
        Runnable task = () -> {
            try {
                gate.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        };
        for (int i = 0; i < limit; i++) {
            pool.execute(task);
        }
        RejectedExecutionException rejected = assertThrows(RejectedExecutionException.class, () -> pool.execute(task));
        String message = rejected.getMessage();
        assertTrue(
                message.startsWith("worker pool 'adaptive' rejected a task: the adaptive concurrency limit of " + limit
                                + " tasks in flight is reached; queue depth ")
                        && message.endsWith(" of capacity 1000, policy REJECT"),
                message);
        clock.addAndGet(latency);
        gate.countDown();
        while (pool.metrics().completed() < completedBefore + limit) {
            Thread.onSpinWait();
        }
        return limit;
    }

    private static WorkerPool.Builder limitedToOne(String name, OverflowPolicy policy) {
        return WorkerPool.builder(name)
                .workers(2)
                .queueCapacity(16)
                .overflowPolicy(policy)
                .adaptiveLimit(AdaptiveLimit.vegas(1, 1, 1));
    }

    @Test
    void blockWaitsForATaskToFinishAtTheLimit() throws Exception {
        try (WorkerPool pool = limitedToOne("block", OverflowPolicy.BLOCK).build()) {
            WorkerPoolTest.Gate gate = new WorkerPoolTest.Gate();
            pool.execute(gate);
            assertTrue(gate.started.await(10, TimeUnit.SECONDS));
            CountDownLatch ran = new CountDownLatch(1);
            Thread submitter = new Thread(() -> pool.execute(ran::countDown));
            submitter.start();
            while (submitter.getState() != Thread.State.WAITING) {
                assertTrue(submitter.isAlive());
                Thread.onSpinWait();
            }
            assertEquals(1, ran.getCount(), "the second task waits although a worker is idle");
            gate.release.countDown();
            assertTrue(ran.await(10, TimeUnit.SECONDS));
            submitter.join();
        }
    }

    @Test
    void blockWithTimeoutRejectsWhenNoTaskFinishesInTime() throws Exception {
        try (WorkerPool pool = limitedToOne("timed", OverflowPolicy.blockWithTimeout(Duration.ofMillis(20)))
                .build()) {
            WorkerPoolTest.Gate gate = new WorkerPoolTest.Gate();
            pool.execute(gate);
            assertTrue(gate.started.await(10, TimeUnit.SECONDS));
            RejectedExecutionException e = assertThrows(RejectedExecutionException.class, () -> pool.execute(() -> {}));
            assertTrue(
                    e.getMessage()
                            .contains("the adaptive concurrency limit of 1 tasks in flight is reached and stayed"
                                    + " reached for 20 ms"),
                    e.getMessage());
            gate.release.countDown();
            assertEquals(1, pool.metrics().rejected());
        }
    }

    @Test
    void callerRunsAtTheLimit() throws Exception {
        try (WorkerPool pool =
                limitedToOne("caller", OverflowPolicy.CALLER_RUNS).build()) {
            WorkerPoolTest.Gate gate = new WorkerPoolTest.Gate();
            pool.execute(gate);
            assertTrue(gate.started.await(10, TimeUnit.SECONDS));
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            pool.execute(() -> ranOn.set(Thread.currentThread()));
            assertEquals(Thread.currentThread(), ranOn.get());
            assertEquals(1, pool.metrics().callerRuns());
            gate.release.countDown();
        }
    }

    @Test
    void dropOldestAtTheLimitDropsAQueuedTaskOrRejectsIfNoneIsQueued() throws Exception {
        try (WorkerPool pool = WorkerPool.builder("drop")
                .workers(1)
                .queueCapacity(16)
                .overflowPolicy(OverflowPolicy.DROP_OLDEST)
                .adaptiveLimit(AdaptiveLimit.vegas(2, 2, 2))
                .build()) {
            WorkerPoolTest.Gate gate = new WorkerPoolTest.Gate();
            pool.execute(gate);
            assertTrue(gate.started.await(10, TimeUnit.SECONDS));
            Future<?> oldest = pool.submit(() -> {});
            CountDownLatch newest = new CountDownLatch(1);
            pool.execute(newest::countDown); // at the limit: drops the queued one, takes its permit
            ExecutionException dropped = assertThrows(ExecutionException.class, oldest::get);
            assertInstanceOf(TaskDroppedException.class, dropped.getCause());
            gate.release.countDown();
            assertTrue(newest.await(10, TimeUnit.SECONDS));
            assertEquals(1, pool.metrics().dropped());
        }
        try (WorkerPool pool = WorkerPool.builder("drop-running")
                .workers(1)
                .queueCapacity(16)
                .overflowPolicy(OverflowPolicy.DROP_OLDEST)
                .adaptiveLimit(AdaptiveLimit.vegas(1, 1, 1))
                .build()) {
            WorkerPoolTest.Gate gate = new WorkerPoolTest.Gate();
            pool.execute(gate);
            assertTrue(gate.started.await(10, TimeUnit.SECONDS));
            RejectedExecutionException e = assertThrows(RejectedExecutionException.class, () -> pool.execute(() -> {}));
            assertTrue(e.getMessage().contains("with no queued task to drop (all are running)"), e.getMessage());
            gate.release.countDown();
        }
    }

    @Test
    void everyWayOutGivesThePermitBack() throws Exception {
        // After rejections (queue full), a drop, shutdownNow and completions, the limit admits again.
        try (WorkerPool pool = WorkerPool.builder("permits")
                .workers(1)
                .queueCapacity(1)
                .overflowPolicy(OverflowPolicy.REJECT)
                .adaptiveLimit(AdaptiveLimit.vegas(3, 3, 3))
                .build()) {
            WorkerPoolTest.Gate gate = new WorkerPoolTest.Gate();
            pool.execute(gate);
            assertTrue(gate.started.await(10, TimeUnit.SECONDS));
            pool.execute(() -> {}); // queued
            for (int i = 0; i < 5; i++) { // queue full: rejected, permit given back each time
                assertThrows(RejectedExecutionException.class, () -> pool.execute(() -> {}));
            }
            assertEquals(5, pool.metrics().rejected());
            gate.release.countDown();
            CountDownLatch ran = new CountDownLatch(3);
            for (int i = 0; i < 3; i++) {
                while (true) {
                    try {
                        pool.execute(ran::countDown);
                        break;
                    } catch (RejectedExecutionException retry) {
                        Thread.onSpinWait(); // the queue (capacity 1) is momentarily full
                    }
                }
            }
            assertTrue(ran.await(10, TimeUnit.SECONDS));
        }
    }
}
