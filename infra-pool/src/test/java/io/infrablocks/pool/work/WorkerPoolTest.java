package io.infrablocks.pool.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class WorkerPoolTest {

    /** A task that blocks its worker until released, and says when it started (shared with AdaptiveLimitTest). */
    static final class Gate implements Runnable {
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public void run() {
            started.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void awaitStarted() throws InterruptedException {
            assertTrue(started.await(10, TimeUnit.SECONDS));
        }
    }

    private static void awaitParked(Thread thread) {
        while (thread.getState() != Thread.State.WAITING && thread.getState() != Thread.State.TIMED_WAITING) {
            assertTrue(thread.isAlive(), "thread ended before parking");
            Thread.onSpinWait();
        }
    }

    private static WorkerPool.Builder oneWorker(String name, int capacity) {
        return WorkerPool.builder(name).workers(1).queueCapacity(capacity);
    }

    @Test
    void rejectsBadSettingsWithNameAndValue() {
        assertEquals(
                "coreWorkers must be > 0 but was 0",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> WorkerPool.builder("x").workers(0).build())
                        .getMessage());
        assertEquals(
                "maxWorkers must be >= coreWorkers (3) but was 2",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> WorkerPool.builder("x").workers(3, 2).build())
                        .getMessage());
        assertEquals(
                "queueCapacity must be > 0 but was -1",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> WorkerPool.builder("x").queueCapacity(-1).build())
                        .getMessage());
        assertEquals(
                "latencySampleRate must be a power of two >= 1 but was 3",
                assertThrows(IllegalArgumentException.class, () -> WorkerPool.builder("x")
                                .latencySampleRate(3)
                                .build())
                        .getMessage());
        assertEquals(
                "name must not be blank",
                assertThrows(IllegalArgumentException.class, () -> WorkerPool.builder(" ")
                                .build())
                        .getMessage());
        assertEquals(
                "name",
                assertThrows(NullPointerException.class, () -> WorkerPool.builder(null))
                        .getMessage());
        assertEquals(
                "timeout must be > 0 but was PT0S",
                assertThrows(IllegalArgumentException.class, () -> OverflowPolicy.blockWithTimeout(Duration.ZERO))
                        .getMessage());
    }

    @Test
    void runsTasksOnNamedDaemonWorkers() throws Exception {
        try (WorkerPool pool = WorkerPool.builder("orders").workers(2).build()) {
            Future<Thread> thread = pool.submit(Thread::currentThread);
            Thread worker = thread.get();
            assertTrue(worker.getName().matches("infra-pool-orders-[12]"), worker.getName());
            assertTrue(worker.isDaemon());
            assertEquals(42, pool.submit(() -> 42).get());
        }
    }

    @Test
    void aThrowingTaskIsReportedAndTheWorkerSurvives() throws Exception {
        List<Throwable> reported = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch handled = new CountDownLatch(1);
        RuntimeException boom = new IllegalStateException("boom");
        Runnable failing = () -> {
            throw boom;
        };
        try (WorkerPool pool = oneWorker("failing", 4)
                .taskExceptionHandler((task, error) -> {
                    assertSame(failing, task);
                    reported.add(error);
                    handled.countDown();
                })
                .build()) {
            Thread first = pool.submit(Thread::currentThread).get();
            pool.execute(failing);
            assertTrue(handled.await(10, TimeUnit.SECONDS));
            assertSame(first, pool.submit(Thread::currentThread).get(), "same worker still serving");
            Future<?> future = pool.submit(failing);
            ExecutionException e = assertThrows(ExecutionException.class, future::get);
            assertSame(boom, e.getCause());
            assertEquals(List.of(boom), reported, "submit() failures go to the future only");
            pool.shutdown();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
            WorkerPoolMetrics m = pool.metrics();
            assertEquals(4, m.completed());
            assertEquals(2, m.failed());
            assertEquals(0, m.workers());
        }
    }

    @Test
    void rejectStatesQueueDepthAndCapacity() throws Exception {
        Gate gate = new Gate();
        try (WorkerPool pool = oneWorker("rejecting", 2).build()) {
            pool.execute(gate);
            gate.awaitStarted();
            pool.execute(() -> {});
            pool.execute(() -> {});
            RejectedExecutionException e = assertThrows(RejectedExecutionException.class, () -> pool.execute(() -> {}));
            assertEquals(
                    "worker pool 'rejecting' rejected a task: the queue is full; queue depth 2 of capacity 2,"
                            + " policy REJECT",
                    e.getMessage());
            assertEquals(1, pool.metrics().rejected());
            gate.release.countDown();
        }
    }

    @Test
    void blockWithTimeoutRejectsAfterWaiting() throws Exception {
        Gate gate = new Gate();
        try (WorkerPool pool = oneWorker("slow", 1)
                .overflowPolicy(OverflowPolicy.blockWithTimeout(Duration.ofMillis(20)))
                .build()) {
            pool.execute(gate);
            gate.awaitStarted();
            pool.execute(() -> {});
            long start = System.nanoTime();
            RejectedExecutionException e = assertThrows(RejectedExecutionException.class, () -> pool.execute(() -> {}));
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(20));
            assertEquals(
                    "worker pool 'slow' rejected a task: the queue stayed full for 20 ms; queue depth 1 of capacity"
                            + " 1, policy BLOCK with timeout 20 ms",
                    e.getMessage());
            gate.release.countDown();
        }
    }

    @Test
    void blockWaitsForRoom() throws Exception {
        Gate gate = new Gate();
        AtomicInteger ran = new AtomicInteger();
        try (WorkerPool pool =
                oneWorker("blocking", 1).overflowPolicy(OverflowPolicy.BLOCK).build()) {
            pool.execute(gate);
            gate.awaitStarted();
            pool.execute(ran::incrementAndGet);
            CountDownLatch submitted = new CountDownLatch(1);
            Thread submitter = new Thread(() -> {
                pool.execute(ran::incrementAndGet);
                submitted.countDown();
            });
            submitter.start();
            awaitParked(submitter);
            assertEquals(1, submitted.getCount());
            gate.release.countDown();
            assertTrue(submitted.await(10, TimeUnit.SECONDS));
            pool.shutdown();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
            assertEquals(2, ran.get());
        }
    }

    @Test
    void blockIsInterruptibleAndRejects() throws Exception {
        Gate gate = new Gate();
        try (WorkerPool pool =
                oneWorker("blocking", 1).overflowPolicy(OverflowPolicy.BLOCK).build()) {
            pool.execute(gate);
            gate.awaitStarted();
            pool.execute(() -> {});
            AtomicReference<Throwable> outcome = new AtomicReference<>();
            Thread submitter = new Thread(() -> {
                try {
                    pool.execute(() -> {});
                } catch (RejectedExecutionException e) {
                    outcome.set(e);
                    assertTrue(Thread.currentThread().isInterrupted());
                }
            });
            submitter.start();
            awaitParked(submitter);
            submitter.interrupt();
            submitter.join();
            assertInstanceOf(InterruptedException.class, outcome.get().getCause());
            gate.release.countDown();
        }
    }

    @Test
    void callerRunsRunsInTheSubmittingThread() throws Exception {
        Gate gate = new Gate();
        try (WorkerPool pool = oneWorker("caller", 1)
                .overflowPolicy(OverflowPolicy.CALLER_RUNS)
                .build()) {
            pool.execute(gate);
            gate.awaitStarted();
            pool.execute(() -> {});
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            pool.execute(() -> ranOn.set(Thread.currentThread()));
            assertSame(Thread.currentThread(), ranOn.get());
            assertEquals(1, pool.metrics().callerRuns());
            gate.release.countDown();
        }
    }

    @Test
    void dropOldestFailsTheDroppedTasksNeverSilently() throws Exception {
        Gate gate = new Gate();
        List<Throwable> handled = Collections.synchronizedList(new ArrayList<>());
        List<Runnable> droppedEvents = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger ran = new AtomicInteger();
        Runnable plain = ran::incrementAndGet;
        try (WorkerPool pool = oneWorker("dropping", 2)
                .overflowPolicy(OverflowPolicy.DROP_OLDEST)
                .taskExceptionHandler((task, error) -> {
                    assertSame(plain, task);
                    handled.add(error);
                })
                .listener(new WorkerPoolListener() {
                    @Override
                    public void onTaskDropped(Runnable task) {
                        droppedEvents.add(task);
                    }
                })
                .build()) {
            pool.execute(gate);
            gate.awaitStarted();
            Future<Integer> first = pool.submit(() -> 1);
            pool.execute(plain);
            Future<Integer> third = pool.submit(() -> 3); // drops `first`
            Future<Integer> fourth = pool.submit(() -> 4); // drops `plain`
            ExecutionException e = assertThrows(ExecutionException.class, first::get);
            assertInstanceOf(TaskDroppedException.class, e.getCause());
            assertEquals(
                    "worker pool 'dropping' dropped this task before it ran to make room for a newer one: queue"
                            + " full at capacity 2, policy DROP_OLDEST",
                    e.getCause().getMessage());
            assertEquals(1, handled.size());
            assertInstanceOf(TaskDroppedException.class, handled.get(0));
            assertEquals(List.of(first, plain), droppedEvents);
            gate.release.countDown();
            assertEquals(3, third.get());
            assertEquals(4, fourth.get());
            assertEquals(0, ran.get());
            assertEquals(2, pool.metrics().dropped());
        }
    }

    @Test
    void shutdownDrainsTheQueueThenTerminates() throws Exception {
        Gate gate = new Gate();
        AtomicInteger ran = new AtomicInteger();
        WorkerPool pool = oneWorker("draining", 10).build();
        pool.execute(gate);
        gate.awaitStarted();
        for (int i = 0; i < 5; i++) {
            pool.execute(ran::incrementAndGet);
        }
        pool.shutdown();
        assertTrue(pool.isShutdown());
        assertFalse(pool.isTerminated());
        RejectedExecutionException e =
                assertThrows(RejectedExecutionException.class, () -> pool.execute(ran::incrementAndGet));
        assertTrue(e.getMessage().contains("the pool is shut down"), e.getMessage());
        assertFalse(pool.awaitTermination(0, TimeUnit.MILLISECONDS));
        gate.release.countDown();
        assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        assertTrue(pool.isTerminated());
        assertEquals(5, ran.get());
        assertEquals(6, pool.metrics().completed());
        pool.close(); // idempotent
        pool.shutdown();
        assertTrue(pool.isTerminated());
    }

    @Test
    void shutdownOfAnIdlePoolTerminatesAtOnce() throws Exception {
        WorkerPool never = WorkerPool.builder("never").build();
        never.shutdown();
        assertTrue(never.isTerminated());
        WorkerPool idle = WorkerPool.builder("idle").workers(2).build();
        idle.submit(() -> 1).get();
        idle.shutdown();
        assertTrue(idle.awaitTermination(10, TimeUnit.SECONDS));
    }

    @Test
    void shutdownNowReturnsTheTasksThatNeverRanAndInterruptsRunningOnes() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        AtomicReference<Boolean> interrupted = new AtomicReference<>();
        WorkerPool pool = oneWorker("stopping", 10).build();
        pool.execute(() -> {
            started.countDown();
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException e) {
                interrupted.set(true);
            }
        });
        assertTrue(started.await(10, TimeUnit.SECONDS));
        Runnable a = () -> {};
        Runnable b = () -> {};
        pool.execute(a);
        Future<?> c = pool.submit(() -> 3);
        pool.execute(b);
        List<Runnable> neverRun = pool.shutdownNow();
        assertEquals(List.of(a, c, b), neverRun);
        assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        assertTrue(interrupted.get());
        assertEquals(1, pool.metrics().completed());
    }

    @Test
    void closeIsBoundedWhenATaskDoesNotFinish() {
        CountDownLatch never = new CountDownLatch(1);
        WorkerPool pool =
                oneWorker("stuck", 4).closeTimeout(Duration.ofMillis(10)).build();
        pool.execute(() -> {
            try {
                never.await();
            } catch (InterruptedException e) {
                // shutdownNow interrupts
            }
        });
        pool.execute(() -> {});
        pool.close();
        assertTrue(pool.isShutdown());
    }

    @Test
    void metricsUseTheInjectedClock() throws Exception {
        AtomicLong clock = new AtomicLong();
        Gate gate = new Gate();
        try (WorkerPool pool =
                oneWorker("timed", 4).nanoTime(clock::get).latencySampleRate(1).build()) {
            pool.execute(gate); // enqueued at 0, starts at 0
            gate.awaitStarted();
            clock.set(1_000);
            Future<?> second = pool.submit(() -> clock.set(3_500)); // enqueued at 1000
            clock.set(3_000);
            gate.release.countDown(); // gate ends at 3000; second starts at 3000, ends at 3500
            second.get();
            pool.shutdown();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
            Histogram wait = new Histogram(2);
            wait.recordValue(0);
            wait.recordValue(2_000);
            Histogram run = new Histogram(2);
            run.recordValue(3_000);
            run.recordValue(500);
            WorkerPoolMetrics m = pool.metrics();
            assertEquals(2, m.completed());
            assertEquals(wait.getValueAtPercentile(50), m.queueWaitP50Nanos());
            assertEquals(wait.getValueAtPercentile(99), m.queueWaitP99Nanos());
            assertEquals(run.getValueAtPercentile(50), m.runTimeP50Nanos());
            assertEquals(run.getValueAtPercentile(99), m.runTimeP99Nanos());
            assertEquals(0, m.queueDepth());
            assertEquals(4, m.queueCapacity());
        }
    }

    @Test
    void listenerSeesCompletionsAndRejections() throws Exception {
        AtomicLong clock = new AtomicLong(100);
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        Gate gate = new Gate();
        try (WorkerPool pool = oneWorker("listened", 1)
                .nanoTime(clock::get)
                .listener(new WorkerPoolListener() {
                    @Override
                    public void onTaskCompleted(long queueWaitNanos, long runNanos, boolean failed) {
                        events.add("completed " + queueWaitNanos + " " + runNanos + " " + failed);
                    }

                    @Override
                    public void onTaskRejected(int queueDepth, int queueCapacity) {
                        events.add("rejected " + queueDepth + "/" + queueCapacity);
                    }
                })
                .build()) {
            pool.execute(gate);
            gate.awaitStarted();
            pool.execute(() -> {});
            assertThrows(RejectedExecutionException.class, () -> pool.execute(() -> {}));
            gate.release.countDown();
            pool.shutdown();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
            assertEquals(List.of("rejected 1/1", "completed 0 0 false", "completed 0 0 false"), events);
        }
    }

    @Test
    void boundedPoolGrowsUnderLoadAndShrinksAfterKeepAlive() throws Exception {
        List<Gate> gates = new ArrayList<>();
        try (WorkerPool pool = WorkerPool.builder("elastic")
                .workers(1, 3)
                .queueCapacity(8)
                .keepAlive(Duration.ofMillis(20))
                .build()) {
            for (int i = 0; i < 3; i++) {
                Gate gate = new Gate();
                gates.add(gate);
                pool.execute(gate);
            }
            for (Gate gate : gates) {
                gate.awaitStarted(); // three tasks run at once: three workers
            }
            assertEquals(3, pool.metrics().workers());
            gates.forEach(g -> g.release.countDown());
            while (pool.metrics().workers() != 1) {
                Thread.onSpinWait(); // the two extra workers leave after 20 ms idle
            }
            assertEquals(1, pool.metrics().workers());
            assertEquals(7, pool.submit(() -> 7).get());
        }
    }

    @Test
    void toStringShowsTheState() {
        try (WorkerPool pool =
                WorkerPool.builder("shown").workers(2).queueCapacity(8).build()) {
            assertEquals("WorkerPool[shown, RUNNING, workers 0/2, queue 0/8, policy REJECT]", pool.toString());
        }
    }
}
