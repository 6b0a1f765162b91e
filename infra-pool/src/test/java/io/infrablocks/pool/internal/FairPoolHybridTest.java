package io.infrablocks.pool.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.infrablocks.pool.Await;
import io.infrablocks.pool.Fairness;
import io.infrablocks.pool.FakeClock;
import io.infrablocks.pool.Lease;
import io.infrablocks.pool.Pool;
import io.infrablocks.pool.PoolBuilder;
import io.infrablocks.pool.PoolClosedException;
import io.infrablocks.pool.PoolExhaustedException;
import io.infrablocks.pool.TestFactory;
import io.infrablocks.pool.TestFactory.Res;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The hybrid fairness mode: barging while the queue is young, strict FIFO once the head has starved. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class FairPoolHybridTest {

    private final TestFactory factory = new TestFactory();
    private final FakeClock clock = new FakeClock();
    private final List<Pool<?>> pools = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void tearDown() {
        threads.shutdownNow();
        pools.forEach(p -> p.close(Duration.ZERO));
    }

    private PoolBuilder<Res> builder() {
        return Pool.builder(factory)
                .name("hybrid")
                .clock(clock)
                .validateAfterIdle(Duration.ofDays(1))
                .housekeepingPeriod(Duration.ofHours(1))
                .fairness(Fairness.hybrid(Duration.ofMillis(1)));
    }

    private FairPool<Res> build(PoolBuilder<Res> b) {
        FairPool<Res> pool = (FairPool<Res>) b.build();
        pools.add(pool);
        return pool;
    }

    private Future<Lease<Res>> waiter(Pool<Res> pool, int queuedAfter) {
        Future<Lease<Res>> f = threads.submit(() -> pool.acquire(Duration.ofSeconds(30)));
        Await.until("waiter queued", () -> pool.metrics().waiting() == queuedAfter);
        return f;
    }

    @Test
    void badThresholdFailsAtBuildNamingSettingAndValue() {
        assertEquals(
                "fairness starvationThreshold must be > 0 but was PT0S",
                assertThrows(IllegalArgumentException.class, () -> Pool.builder(factory)
                                .fairness(Fairness.hybrid(Duration.ZERO))
                                .build())
                        .getMessage());
        assertEquals(
                "fairness starvationThreshold must be > 0 but was PT-0.001S",
                assertThrows(IllegalArgumentException.class, () -> Pool.builder(factory)
                                .fairness(Fairness.hybrid(Duration.ofMillis(-1)))
                                .build())
                        .getMessage());
        assertEquals(
                "fairness",
                assertThrows(NullPointerException.class, () -> Pool.builder(factory)
                                .fairness(null))
                        .getMessage());
        assertEquals(
                "starvationThreshold",
                assertThrows(NullPointerException.class, () -> Fairness.hybrid(null))
                        .getMessage());
    }

    @Test
    void fairnessValues() {
        assertEquals("FIFO", Fairness.FIFO.toString());
        assertEquals("BARGING", Fairness.BARGING.toString());
        assertEquals("hybrid(PT0.001S)", Fairness.hybrid().toString());
        assertEquals(Fairness.hybrid(), Fairness.hybrid(Duration.ofMillis(1)));
        assertEquals(
                Fairness.hybrid().hashCode(),
                Fairness.hybrid(Duration.ofMillis(1)).hashCode());
        assertFalse(Fairness.hybrid().equals(Fairness.hybrid(Duration.ofMillis(2))));
        assertEquals(Duration.ZERO, Fairness.FIFO.starvationThreshold());
        assertEquals(Duration.ofMillis(1), Fairness.DEFAULT_STARVATION_THRESHOLD);
    }

    @Test
    void aYoungQueueIsServedTheBargingWay() throws Exception {
        FairPool<Res> pool = build(builder().maxSize(1));
        Lease<Res> held = pool.acquire();
        Future<Lease<Res>> w = waiter(pool, 1);
        clock.advance(Duration.ofNanos(999_999)); // below the threshold
        held.close();
        assertFalse(pool.starving(), "a young head does not start the starvation mode");
        Lease<Res> got = w.get(10, TimeUnit.SECONDS); // woken, it takes the idle resource
        assertFalse(pool.starving());
        got.close();
        assertEquals(1, pool.freeSlots());
    }

    @Test
    void anOldHeadGetsTheReleasedResourceAndNewcomersCannotBarge() throws Exception {
        FairPool<Res> pool = build(builder().maxSize(1));
        Lease<Res> held = pool.acquire();
        Future<Lease<Res>> first = waiter(pool, 1);
        Future<Lease<Res>> second = waiter(pool, 2);
        clock.advance(Duration.ofMillis(1)); // both have now waited the threshold
        held.close(); // handed to the head: never FREE
        assertTrue(pool.starving(), "starving while an old waiter is left");
        assertEquals(0, pool.freeSlots());
        assertThrows(PoolExhaustedException.class, () -> pool.acquire(Duration.ZERO), "newcomer barged");
        Lease<Res> one = first.get(10, TimeUnit.SECONDS);
        assertFalse(second.isDone());
        one.close(); // to the second, the last waiter: the starvation ends
        assertFalse(pool.starving());
        assertThrows(PoolExhaustedException.class, () -> pool.acquire(Duration.ZERO), "newcomer barged");
        Lease<Res> two = second.get(10, TimeUnit.SECONDS);
        two.close(); // nobody waits: idle again, barging allowed
        try (Lease<Res> mine = pool.acquire(Duration.ZERO)) {
            assertFalse(mine.get().destroyed);
        }
    }

    @Test
    void starvationEndsWhenTheWaiterServedIsYoung() throws Exception {
        FairPool<Res> pool = build(builder().maxSize(1));
        Lease<Res> held = pool.acquire();
        Future<Lease<Res>> old = waiter(pool, 1);
        clock.advance(Duration.ofMillis(2));
        Future<Lease<Res>> young = waiter(pool, 2);
        Future<Lease<Res>> younger = waiter(pool, 3);
        held.close(); // the old head: starving, two waiters left
        assertTrue(pool.starving());
        Lease<Res> a = old.get(10, TimeUnit.SECONDS);
        a.close(); // still starving: hand-off to the young waiter, which waited < 1 ms, ends it
        assertFalse(pool.starving());
        Lease<Res> b = young.get(10, TimeUnit.SECONDS);
        assertFalse(younger.isDone());
        b.close(); // barging again: the last waiter is woken and takes it
        younger.get(10, TimeUnit.SECONDS).close();
        assertFalse(pool.starving());
    }

    @Test
    void closeFailsTheWaitersOfAStarvingPool() throws Exception {
        FairPool<Res> pool = build(builder().maxSize(1));
        Lease<Res> held = pool.acquire();
        Future<Lease<Res>> first = waiter(pool, 1);
        Future<Lease<Res>> second = waiter(pool, 2);
        clock.advance(Duration.ofMillis(1));
        held.close();
        assertTrue(pool.starving());
        Lease<Res> one = first.get(10, TimeUnit.SECONDS);
        assertFalse(pool.close(Duration.ZERO), "a lease is still out");
        ExecutionException e = assertThrows(ExecutionException.class, () -> second.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof PoolClosedException, e.getCause().toString());
        one.close(); // after a forced close: no error, the resource was destroyed
        assertEquals(0, factory.live.get());
        assertThrows(PoolClosedException.class, () -> pool.acquire(Duration.ZERO));
    }
}
