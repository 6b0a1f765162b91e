package io.infrablocks.pool.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.infrablocks.pool.Await;
import io.infrablocks.pool.Fairness;
import io.infrablocks.pool.FakeClock;
import io.infrablocks.pool.Lease;
import io.infrablocks.pool.Pool;
import io.infrablocks.pool.PoolExhaustedException;
import io.infrablocks.pool.TestFactory;
import io.infrablocks.pool.TestFactory.Res;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Invariants of the pool under random schedules. */
class FairPoolPropertyTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    /** 0: FIFO, 1: barging, 2: hybrid with the given starvation threshold. */
    static Fairness fairness(int mode, Duration threshold) {
        return mode == 0 ? Fairness.FIFO : mode == 1 ? Fairness.BARGING : Fairness.hybrid(threshold);
    }

    /**
     * Never more than maxSize resources exist (counted by the factory: created and not yet destroyed),
     * whatever mix of returns and invalidations concurrent threads perform, in the fair (FIFO), the barging
     * and the hybrid mode (with a 20 µs threshold, so that it switches between barging and FIFO hand-off
     * all the time); every acquire is served (no lost wake-up).
     */
    @Property(tries = 30)
    void neverMoreThanMaxSizeResourcesExist(
            @ForAll @IntRange(min = 1, max = 4) int maxSize,
            @ForAll @IntRange(min = 1, max = 6) int threads,
            @ForAll @Size(min = 1, max = 200) List<@IntRange(min = 0, max = 9) Integer> ops,
            @ForAll @IntRange(min = 0, max = 2) int mode)
            throws Exception {
        TestFactory factory = new TestFactory();
        Pool<Res> pool = Pool.builder(factory)
                .name("prop")
                .fairness(fairness(mode, Duration.ofNanos(20_000)))
                .maxSize(maxSize)
                .minIdle(Math.min(1, maxSize))
                .build();
        ExecutorService exec = Executors.newFixedThreadPool(threads);
        try {
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Future<Integer>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int offset = t;
                fs.add(exec.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    int done = 0;
                    for (int i = 0; i < ops.size(); i++) {
                        int op = ops.get((i + offset) % ops.size());
                        try (Lease<Res> lease = pool.acquire(Duration.ofSeconds(10))) {
                            if (lease.get().destroyed) {
                                throw new AssertionError("lent a destroyed resource");
                            }
                            if (op == 0) {
                                lease.invalidate();
                            } else if (op == 1) {
                                pool.evictAll();
                            }
                            done++;
                        }
                        if (pool.metrics().total() > maxSize) {
                            throw new AssertionError("total " + pool.metrics().total());
                        }
                    }
                    return done;
                }));
            }
            for (Future<Integer> f : fs) {
                assertEquals(ops.size(), f.get(30, TimeUnit.SECONDS));
            }
            assertTrue(factory.maxLive.get() <= maxSize, "max live " + factory.maxLive.get() + " > " + maxSize);
        } finally {
            exec.shutdownNow();
            pool.close(Duration.ofSeconds(5));
        }
        assertEquals(0, factory.live.get(), "everything destroyed after close");
    }

    /**
     * Every acquire either gets a resource or times out, and a timeout happens no earlier than the timeout
     * and no later than the timeout plus one clock step (the injected clock advances 1 ms at a time and
     * waits for every due waiter to notice). In every mode: fair, barging and hybrid (1 ms threshold, so
     * that the clock steps start starvation hand-offs).
     */
    @Property(tries = 18)
    void everyAcquireGetsAResourceOrTimesOutWithinTimeoutPlusEpsilon(
            @ForAll @IntRange(min = 1, max = 3) int maxSize,
            @ForAll @Size(min = 1, max = 8) List<@IntRange(min = 1, max = 40) Integer> timeoutsMs,
            @ForAll @Size(max = 5) List<@IntRange(min = 0, max = 40) Integer> releaseAtMs,
            @ForAll @IntRange(min = 0, max = 2) int mode)
            throws Exception {
        FakeClock clock = new FakeClock();
        TestFactory factory = new TestFactory();
        Pool<Res> pool = Pool.builder(factory)
                .name("prop")
                .fairness(fairness(mode, Duration.ofMillis(1)))
                .maxSize(maxSize)
                .clock(clock)
                .validateAfterIdle(Duration.ofDays(1))
                .build();
        ExecutorService exec = Executors.newCachedThreadPool();
        LinkedBlockingQueue<Lease<Res>> held = new LinkedBlockingQueue<>();
        try {
            for (int i = 0; i < maxSize; i++) {
                held.add(pool.acquire());
            }
            long t0 = clock.nanoTime();
            int n = timeoutsMs.size();
            long[] outcome = new long[n]; // elapsed ns, negative when timed out
            AtomicInteger finished = new AtomicInteger();
            boolean[] done = new boolean[n];
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int id = i;
                fs.add(exec.submit(() -> {
                    try {
                        Lease<Res> lease = pool.acquire(Duration.ofMillis(timeoutsMs.get(id)));
                        outcome[id] = clock.nanoTime() - t0;
                        held.add(lease); // keeps it: the test decides when it comes back
                    } catch (PoolExhaustedException e) {
                        outcome[id] = -(clock.nanoTime() - t0);
                    }
                    synchronized (done) {
                        done[id] = true;
                    }
                    finished.incrementAndGet();
                    return null;
                }));
                int queued = i + 1;
                Await.until("waiter queued", () -> pool.metrics().waiting() == queued);
            }
            int remainingReleases = releaseAtMs.size();
            for (int ms = 1; ms <= 41 && finished.get() < n; ms++) {
                clock.advance(Duration.ofMillis(1));
                for (int r : releaseAtMs) {
                    if (r == ms) {
                        Lease<Res> l = held.poll();
                        if (l != null) {
                            l.close();
                            remainingReleases--;
                        }
                    }
                }
                long now = ms;
                // Wait until every waiter whose deadline has passed has noticed (or was served).
                Await.until("due waiters noticed", () -> {
                    synchronized (done) {
                        for (int i = 0; i < n; i++) {
                            if (!done[i] && timeoutsMs.get(i) <= now) {
                                return false;
                            }
                        }
                        return true;
                    }
                });
            }
            for (Future<?> f : fs) {
                f.get(10, TimeUnit.SECONDS);
            }
            for (int i = 0; i < n; i++) {
                long timeout = timeoutsMs.get(i) * MS;
                long elapsed = Math.abs(outcome[i]);
                if (outcome[i] < 0) {
                    assertTrue(elapsed >= timeout, "timed out early: " + elapsed + " < " + timeout);
                    assertTrue(elapsed <= timeout + MS, "timed out late: " + elapsed + " > " + timeout + " + 1 ms");
                } else {
                    assertTrue(elapsed <= timeout, "served after its timeout: " + elapsed);
                }
            }
            assertTrue(remainingReleases >= 0);
        } finally {
            exec.shutdownNow();
            pool.close(Duration.ZERO);
        }
    }

    /**
     * Waiters are served strictly in arrival order, and a caller arriving while others wait never gets a
     * resource ahead of them.
     */
    @Property(tries = 20)
    void waitersAreServedInArrivalOrder(
            @ForAll @IntRange(min = 1, max = 3) int maxSize, @ForAll @IntRange(min = 1, max = 8) int waiters)
            throws Exception {
        TestFactory factory = new TestFactory();
        Pool<Res> pool = Pool.builder(factory).name("prop").maxSize(maxSize).build();
        ExecutorService exec = Executors.newCachedThreadPool();
        try {
            LinkedBlockingQueue<Lease<Res>> returned = new LinkedBlockingQueue<>();
            for (int i = 0; i < maxSize; i++) {
                returned.add(pool.acquire());
            }
            LinkedBlockingQueue<Integer> served = new LinkedBlockingQueue<>();
            for (int i = 0; i < waiters; i++) {
                int id = i;
                exec.submit(() -> {
                    Lease<Res> lease = pool.acquire(Duration.ofSeconds(20));
                    served.add(id);
                    returned.add(lease); // hands its lease to the test, which releases it
                    return null;
                });
                int queued = i + 1;
                // waiting() counts a waiter only once it is linked into the queue: whoever arrives after
                // the count shows it queues behind it (no need to wait until it parks).
                Await.until("waiter queued", () -> pool.metrics().waiting() == queued);
            }
            List<Integer> order = new ArrayList<>();
            for (int k = 0; k < waiters; k++) {
                assertThrows(PoolExhaustedException.class, () -> pool.acquire(Duration.ZERO), "newcomer barged");
                Lease<Res> next = returned.poll(10, TimeUnit.SECONDS);
                next.close();
                Integer who = served.poll(10, TimeUnit.SECONDS);
                order.add(who);
                // the lease the served waiter hands over must arrive before the next step
                int expectedHeld = maxSize;
                Await.until("lease handed back", () -> returned.size() == expectedHeld);
            }
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < waiters; i++) {
                expected.add(i);
            }
            assertEquals(expected, order);
            assertEquals(maxSize, factory.created.get());
        } finally {
            exec.shutdownNow();
            pool.close(Duration.ZERO);
        }
    }
}
