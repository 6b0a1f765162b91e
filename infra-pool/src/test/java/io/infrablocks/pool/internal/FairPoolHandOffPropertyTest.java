package io.infrablocks.pool.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.infrablocks.pool.Lease;
import io.infrablocks.pool.Pool;
import io.infrablocks.pool.PoolExhaustedException;
import io.infrablocks.pool.PoolMetrics;
import io.infrablocks.pool.TestFactory;
import io.infrablocks.pool.TestFactory.Res;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The FIFO hand-off under every wait phase: a dispatcher claims a waiter that is still running (spinning or
 * yielding: no unpark) or one that has announced PARKED (unpark), racing with the waiter's own CAS to PARKED
 * and with timeouts (cancel). A lost wake-up would leave a waiter parked for its whole 30 s timeout (the
 * system clock lets it park for the whole wait), which the 20 s bound turns into a failure.
 */
class FairPoolHandOffPropertyTest {

    /**
     * Threads borrow in a tight loop, some with tiny timeouts; every long-timeout acquire is served, never
     * more than maxSize are held at once, and afterwards the pool is quiet: nothing active, nothing counted
     * as waiting (the waiting count balances across hand-offs and cancellations).
     */
    @Property(tries = 30)
    void handOffLosesNoWakeUpWhateverTheWaitPhases(
            @ForAll @IntRange(min = 0, max = 3) int spinChoice,
            @ForAll @IntRange(min = 0, max = 2) int yields,
            @ForAll @IntRange(min = 1, max = 3) int maxSize,
            @ForAll @IntRange(min = 2, max = 8) int threads,
            @ForAll @IntRange(min = 0, max = 3) int impatient) {
        int spins = new int[] {0, 1, 16, 256}[spinChoice];
        int cycles = 300;
        TestFactory factory = new TestFactory();
        FairPool<Res> pool = (FairPool<Res>) Pool.builder(factory)
                .name("handoff")
                .maxSize(maxSize)
                .minIdle(maxSize)
                .acquireTimeout(Duration.ofSeconds(30))
                .validateAfterIdle(Duration.ofDays(1))
                .build();
        pool.waitPhases(spins, yields); // before any other thread sees the pool
        io.infrablocks.pool.Await.until("all created", () -> pool.metrics().idle() == maxSize);
        ExecutorService exec = Executors.newFixedThreadPool(threads);
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                AtomicInteger holding = new AtomicInteger();
                AtomicInteger maxHolding = new AtomicInteger();
                AtomicInteger timedOut = new AtomicInteger();
                CyclicBarrier start = new CyclicBarrier(threads);
                List<Future<Integer>> fs = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    boolean hurried = t < impatient; // these give up after a few microseconds
                    fs.add(exec.submit(() -> {
                        start.await(10, TimeUnit.SECONDS);
                        int served = 0;
                        for (int i = 0; i < cycles; i++) {
                            Lease<Res> lease;
                            try {
                                lease = hurried
                                        ? pool.acquire(Duration.ofNanos(1_000 + i % 7 * 3_000))
                                        : pool.acquire();
                            } catch (PoolExhaustedException e) {
                                timedOut.incrementAndGet();
                                continue;
                            }
                            maxHolding.accumulateAndGet(holding.incrementAndGet(), Math::max);
                            if (lease.get().destroyed) {
                                throw new AssertionError("lent a destroyed resource");
                            }
                            holding.decrementAndGet();
                            lease.close();
                            served++;
                        }
                        return served;
                    }));
                }
                int served = 0;
                for (int t = 0; t < threads; t++) {
                    int s = fs.get(t).get();
                    if (t >= impatient) {
                        assertEquals(cycles, s, "a patient thread was not served every time");
                    }
                    served += s;
                }
                assertTrue(maxHolding.get() <= maxSize, "held at once: " + maxHolding.get());
                assertEquals((long) threads * cycles, served + timedOut.get());
                PoolMetrics m = pool.metrics();
                assertEquals(0, m.active());
                assertEquals(maxSize, m.idle());
                assertEquals(0, m.waiting());
                assertEquals(timedOut.get(), m.timeouts());
                assertEquals(maxSize, factory.created.get());
            });
        } finally {
            exec.shutdownNow();
            pool.close(Duration.ofSeconds(5));
        }
    }
}
