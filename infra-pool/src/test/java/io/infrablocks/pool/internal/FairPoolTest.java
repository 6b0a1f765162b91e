package io.infrablocks.pool.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.infrablocks.pool.Await;
import io.infrablocks.pool.FakeClock;
import io.infrablocks.pool.Lease;
import io.infrablocks.pool.Pool;
import io.infrablocks.pool.PoolBuilder;
import io.infrablocks.pool.PoolClosedException;
import io.infrablocks.pool.PoolException;
import io.infrablocks.pool.PoolExhaustedException;
import io.infrablocks.pool.PoolListener;
import io.infrablocks.pool.PoolMetrics;
import io.infrablocks.pool.ResourceCreationException;
import io.infrablocks.pool.ResourceFactory;
import io.infrablocks.pool.TestFactory;
import io.infrablocks.pool.TestFactory.Res;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class FairPoolTest {

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
        return Pool.builder(factory).name("orders").clock(clock).creationRetryBackoff(ms(5), ms(20));
    }

    private Pool<Res> track(Pool<Res> pool) {
        pools.add(pool);
        return pool;
    }

    private static Duration ms(long ms) {
        return Duration.ofMillis(ms);
    }

    private Future<Lease<Res>> acquireAsync(Pool<Res> pool, Duration timeout) {
        return threads.submit(() -> pool.acquire(timeout));
    }

    private static Throwable failureOf(Future<?> f) throws InterruptedException {
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("still running", e);
        }
        throw new AssertionError("expected a failure");
    }

    @Test
    void returnedResourceIsReused() {
        Pool<Res> pool = track(builder().build());
        Res first;
        try (Lease<Res> lease = pool.acquire()) {
            first = lease.get();
        }
        try (Lease<Res> lease = pool.acquire()) {
            assertSame(first, lease.get());
        }
        assertEquals(1, factory.created.get());
        PoolMetrics m = pool.metrics();
        assertEquals(2, m.acquired());
        assertEquals(1, m.total());
        assertEquals(1, m.idle());
        assertEquals(0, m.active());
        assertEquals(2, m.usageTime().count());
        assertEquals(1, m.creationTime().count());
    }

    @Test
    void leaseMisuseIsAnIllegalStateException() {
        Pool<Res> pool = track(builder().build());
        Lease<Res> lease = pool.acquire();
        lease.close();
        assertEquals(
                "lease of pool 'orders' already closed",
                assertThrows(IllegalStateException.class, lease::close).getMessage());
        assertEquals(
                "lease of pool 'orders' used after close()",
                assertThrows(IllegalStateException.class, lease::get).getMessage());
        assertThrows(IllegalStateException.class, lease::invalidate);

        Lease<Res> second = pool.acquire();
        Res res = second.get();
        second.invalidate();
        second.close(); // no-op after invalidate: try-with-resources stays natural
        assertThrows(IllegalStateException.class, second::get);
        assertThrows(IllegalStateException.class, second::invalidate);
        Await.until("invalidated resource destroyed", () -> res.destroyed);
        try (Lease<Res> third = pool.acquire()) {
            assertNotSame(res, third.get());
        }
    }

    @Test
    void badSettingsFailAtBuildNamingSettingAndValue() {
        assertEquals(
                "maxSize must be > 0 but was 0",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> builder().maxSize(0).build())
                        .getMessage());
        assertEquals(
                "minIdle must be <= maxSize (2) but was 3",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> builder().maxSize(2).minIdle(3).build())
                        .getMessage());
        assertEquals(
                "acquireTimeout must be >= 0 but was PT-0.001S",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> builder().acquireTimeout(ms(-1)).build())
                        .getMessage());
        assertEquals(
                "maxWaiters must be >= 0 but was -1",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> builder().maxWaiters(-1).build())
                        .getMessage());
        assertEquals(
                "maxLifetimeJitter must be < maxLifetime (PT1M) but was PT1M",
                assertThrows(IllegalArgumentException.class, () -> builder()
                                .maxLifetime(Duration.ofMinutes(1))
                                .maxLifetimeJitter(Duration.ofMinutes(1))
                                .build())
                        .getMessage());
        assertEquals(
                "housekeepingPeriod must be > 0 but was PT0S",
                assertThrows(IllegalArgumentException.class, () -> builder()
                                .housekeepingPeriod(Duration.ZERO)
                                .build())
                        .getMessage());
        assertEquals(
                "factory",
                assertThrows(NullPointerException.class, () -> Pool.builder(null))
                        .getMessage());
        assertEquals(
                "name",
                assertThrows(NullPointerException.class, () -> builder().name(null))
                        .getMessage());
    }

    @Test
    void timeoutMessageCarriesPoolState() throws Exception {
        Pool<Res> pool = track(builder().maxSize(1).build());
        Lease<Res> held = pool.acquire();
        Future<Lease<Res>> waiter = acquireAsync(pool, ms(250));
        Await.until("one waiter", () -> pool.metrics().waiting() == 1);
        clock.advance(ms(250));
        Throwable e = failureOf(waiter);
        assertInstanceOf(PoolExhaustedException.class, e);
        assertEquals("pool 'orders' exhausted: 1 active, 0 idle, 1 waiting, timed out after 250 ms", e.getMessage());
        assertEquals(1, pool.metrics().timeouts());
        assertEquals(0, pool.metrics().waiting());
        held.close();
    }

    @Test
    void zeroTimeoutFailsAtOnceWhenNothingIsFree() {
        Pool<Res> pool = track(builder().maxSize(1).build());
        try (Lease<Res> held = pool.acquire()) {
            PoolExhaustedException e = assertThrows(PoolExhaustedException.class, () -> pool.acquire(Duration.ZERO));
            assertEquals("pool 'orders' exhausted: 1 active, 0 idle, 0 waiting, timed out after 0 ms", e.getMessage());
            assertSame(held.get(), held.get());
        }
    }

    @Test
    void fullWaitQueueRejectsAtOnce() throws Exception {
        Pool<Res> pool = track(builder().maxSize(1).maxWaiters(1).build());
        Lease<Res> held = pool.acquire();
        Future<Lease<Res>> waiter = acquireAsync(pool, Duration.ofSeconds(10));
        Await.until("one waiter", () -> pool.metrics().waiting() == 1);
        PoolExhaustedException e = assertThrows(PoolExhaustedException.class, pool::acquire);
        assertEquals(
                "pool 'orders' exhausted: 1 active, 0 idle, 1 waiting, wait queue full (maxWaiters 1)", e.getMessage());
        assertEquals(1, pool.metrics().rejected());
        Res res = held.get();
        held.close();
        try (Lease<Res> got = waiter.get(10, TimeUnit.SECONDS)) {
            assertSame(res, got.get());
        }
    }

    @Test
    void waitersAreServedInArrivalOrderAndNewcomersCannotBarge() throws Exception {
        Pool<Res> pool = track(builder().maxSize(1).build());
        Lease<Res> held = pool.acquire();
        List<Integer> served = new CopyOnWriteArrayList<>();
        List<Future<?>> waiters = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int id = i;
            waiters.add(threads.submit(() -> {
                try (Lease<Res> lease = pool.acquire(Duration.ofSeconds(10))) {
                    served.add(id);
                    lease.get();
                }
                return null;
            }));
            // waiting() counts a waiter once it is linked into the queue: the next one queues behind it.
            Await.until("waiter " + i + " queued", () -> pool.metrics().waiting() == id + 1);
        }
        // A newcomer arriving while others wait gets nothing, even with the resource about to be released.
        assertThrows(PoolExhaustedException.class, () -> pool.acquire(Duration.ZERO));
        held.close();
        for (Future<?> w : waiters) {
            w.get(10, TimeUnit.SECONDS);
        }
        assertEquals(List.of(0, 1, 2, 3), served);
        assertEquals(1, factory.created.get());
    }

    @Test
    void failFastFailsAtOnceWithTheLastCreationErrorAndRecovers() {
        factory.down.set(true);
        Pool<Res> pool = track(
                builder().failFast(true).acquireTimeout(Duration.ofSeconds(30)).build());
        long start = System.nanoTime();
        ResourceCreationException first = assertThrows(ResourceCreationException.class, pool::acquire);
        assertInstanceOf(IOException.class, first.getCause());
        assertEquals("backend down", first.getCause().getMessage());
        ResourceCreationException second = assertThrows(ResourceCreationException.class, pool::acquire);
        assertTrue(
                second.getMessage()
                        .startsWith(
                                "pool 'orders' cannot create a resource (no resource idle and creation"
                                        + " is failing): 0 active, 0 idle, 0 waiting, last error: java.io.IOException: backend down"),
                second.getMessage());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "failed fast, not after the timeout");
        factory.down.set(false);
        Await.until("pool recovered", () -> {
            try (Lease<Res> lease = pool.acquire()) {
                return lease.get() != null;
            } catch (ResourceCreationException e) {
                return false;
            }
        });
        assertTrue(pool.metrics().creationFailures() >= 1);
        assertTrue(pool.metrics().rejected() >= 1);
    }

    @Test
    void withoutFailFastWaitersGetAResourceOnceCreationWorksAgain() throws Exception {
        factory.down.set(true);
        Pool<Res> pool = track(builder().build());
        Future<Lease<Res>> waiter = acquireAsync(pool, Duration.ofSeconds(30));
        Await.until("creation failed twice", () -> pool.metrics().creationFailures() >= 2);
        assertFalse(waiter.isDone());
        factory.down.set(false);
        try (Lease<Res> lease = waiter.get(10, TimeUnit.SECONDS)) {
            assertEquals(1, lease.get().id);
        }
    }

    @Test
    void timeoutWhileCreationFailsCarriesTheCreationError() throws Exception {
        factory.down.set(true);
        Pool<Res> pool = track(builder().build());
        Future<Lease<Res>> waiter = acquireAsync(pool, ms(100));
        Await.until("creation failed", () -> pool.metrics().creationFailures() >= 1);
        clock.advance(ms(100));
        Throwable e = failureOf(waiter);
        assertInstanceOf(PoolExhaustedException.class, e);
        assertInstanceOf(IOException.class, e.getCause());
    }

    @Test
    void closeWaitsForLeasesThenDestroysEverything() throws Exception {
        Pool<Res> pool = track(builder().maxSize(3).build());
        Lease<Res> a = pool.acquire();
        Lease<Res> b = pool.acquire();
        b.close();
        assertFalse(pool.close(ms(20)), "one lease never came back");
        assertEquals(0, factory.live.get());
        assertTrue(a.get().destroyed);
        a.close(); // returning to a closed pool is harmless
        assertFalse(pool.close(ms(20)), "idempotent, same answer");
        assertEquals(
                "pool 'orders' is closed",
                assertThrows(PoolClosedException.class, pool::acquire).getMessage());
    }

    @Test
    void closeReturnsTrueWhenLeasesComeBackInTime() throws Exception {
        Pool<Res> pool = track(builder().build());
        Lease<Res> a = pool.acquire();
        Future<Boolean> closing = threads.submit(() -> pool.close(Duration.ofSeconds(10)));
        Await.until("closing", () -> {
            try {
                pool.acquire(Duration.ZERO).close();
                return false;
            } catch (PoolExhaustedException e) {
                return false;
            } catch (PoolClosedException e) {
                return true;
            }
        });
        Res res = a.get();
        a.close();
        assertTrue(closing.get(10, TimeUnit.SECONDS));
        assertTrue(res.destroyed);
        assertEquals(0, factory.live.get());
    }

    @Test
    void closeFailsWaiters() throws Exception {
        Pool<Res> pool = track(builder().maxSize(1).build());
        Lease<Res> held = pool.acquire();
        Future<Lease<Res>> waiter = acquireAsync(pool, Duration.ofSeconds(10));
        Await.until("one waiter", () -> pool.metrics().waiting() == 1);
        Future<Boolean> closing = threads.submit(() -> pool.close(Duration.ofSeconds(10)));
        assertInstanceOf(PoolClosedException.class, failureOf(waiter));
        held.close();
        assertTrue(closing.get(10, TimeUnit.SECONDS));
    }

    @Test
    void evictAllRecyclesIdleNowAndLeasedOnReturn() {
        Pool<Res> pool = track(builder().maxSize(3).build());
        Lease<Res> a = pool.acquire();
        Lease<Res> b = pool.acquire();
        Res ra = a.get();
        Res rb = b.get();
        b.close();
        pool.evictAll();
        Await.until("idle one destroyed", () -> rb.destroyed);
        assertFalse(ra.destroyed);
        a.close();
        Await.until("leased one destroyed on return", () -> ra.destroyed);
        try (Lease<Res> c = pool.acquire()) {
            assertEquals(3, c.get().id);
        }
    }

    @Test
    void idleTimeoutShrinksToMinIdle() {
        FairPool<Res> pool = (FairPool<Res>) track(builder()
                .maxSize(3)
                .minIdle(1)
                .idleTimeout(Duration.ofMinutes(1))
                .build());
        List<Lease<Res>> leases = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            leases.add(pool.acquire());
        }
        leases.forEach(Lease::close);
        assertEquals(3, pool.metrics().idle());
        clock.advance(Duration.ofMinutes(1));
        pool.housekeep();
        Await.until("shrunk to minIdle", () -> factory.live.get() == 1);
        assertEquals(1, pool.metrics().total());
    }

    @Test
    void maxLifetimeRetiresResources() {
        FairPool<Res> pool = (FairPool<Res>) track(builder()
                .maxLifetime(Duration.ofMinutes(1))
                .maxLifetimeJitter(Duration.ZERO)
                .validateAfterIdle(Duration.ofDays(1))
                .build());
        Res first;
        try (Lease<Res> lease = pool.acquire()) {
            first = lease.get();
        }
        clock.advance(Duration.ofMinutes(1));
        try (Lease<Res> lease = pool.acquire()) {
            assertNotSame(first, lease.get());
        }
        Await.until("expired one destroyed", () -> first.destroyed);
    }

    @Test
    void lifetimeJitterShortensLifetimesWithinTheBound() {
        FairPool<Res> pool = (FairPool<Res>) track(builder()
                .maxSize(8)
                .maxLifetime(Duration.ofMinutes(10))
                .maxLifetimeJitter(Duration.ofMinutes(1))
                .build());
        List<Lease<Res>> leases = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            leases.add(pool.acquire());
        }
        leases.forEach(Lease::close);
        clock.advance(Duration.ofMinutes(9)); // before the earliest possible expiry
        pool.housekeep();
        assertEquals(8, pool.metrics().total());
        clock.advance(Duration.ofMinutes(1)); // past the latest
        pool.housekeep();
        Await.until("all retired", () -> factory.live.get() == 0);
    }

    @Test
    void resourceIdleTooLongIsValidatedBeforeBeingHandedOut() {
        Pool<Res> pool =
                track(builder().validateAfterIdle(Duration.ofSeconds(1)).build());
        Res first;
        try (Lease<Res> lease = pool.acquire()) {
            first = lease.get();
        }
        try (Lease<Res> lease = pool.acquire()) {
            assertSame(first, lease.get());
        }
        assertEquals(0, factory.validations.get(), "recently used: no validation");
        first.broken = true;
        clock.advance(Duration.ofSeconds(1));
        try (Lease<Res> lease = pool.acquire()) {
            assertNotSame(first, lease.get());
        }
        assertEquals(1, factory.validations.get());
        assertEquals(1, pool.metrics().validationFailures());
    }

    @Test
    void keepaliveFindsADeadIdleResourceAndReplacesIt() {
        FairPool<Res> pool = (FairPool<Res>) track(builder()
                .minIdle(1)
                .keepalive(Duration.ofSeconds(30))
                .validateAfterIdle(Duration.ofDays(1))
                .build());
        Await.until("minIdle created", () -> pool.metrics().idle() == 1);
        Res first;
        try (Lease<Res> lease = pool.acquire()) {
            first = lease.get();
        }
        first.broken = true;
        clock.advance(Duration.ofSeconds(29));
        pool.housekeep();
        assertFalse(first.destroyed);
        clock.advance(Duration.ofSeconds(1));
        pool.housekeep();
        Await.until(
                "dead one destroyed and replaced",
                () -> first.destroyed && pool.metrics().idle() == 1);
        assertEquals(2, factory.created.get());
    }

    @Test
    void aResourceBeingHandedOutByItsCreatorCountsAsIdleNotActive() {
        // the creator publishes the new resource, tells the listener, then hands it to a waiter or frees it:
        // in between nobody has it, so metrics must not report it leased
        AtomicReference<Pool<Res>> self = new AtomicReference<>();
        AtomicReference<PoolMetrics> seen = new AtomicReference<>();
        factory.down.set(true); // the first creations fail and are retried: the listener sees the pool built
        Pool<Res> pool = track(builder()
                .minIdle(1)
                .listener(new PoolListener() {
                    @Override
                    public void created(Duration took) {
                        seen.set(self.get().metrics());
                    }
                })
                .build());
        self.set(pool);
        factory.down.set(false);
        Await.until(
                "the min-idle resource created",
                () -> seen.get() != null && pool.metrics().idle() == 1);
        assertEquals(0, seen.get().active(), "active while the creator hands it out: " + seen.get());
        assertEquals(1, seen.get().idle(), "idle while the creator hands it out: " + seen.get());
        assertEquals(1, seen.get().total());
    }

    @Test
    void leakIsLoggedWithTheBorrowerStackAndCountedOnce() {
        AtomicReference<Throwable> borrower = new AtomicReference<>();
        FairPool<Res> pool = (FairPool<Res>) track(builder()
                .leakDetectionThreshold(Duration.ofSeconds(5))
                .listener(new PoolListener() {
                    @Override
                    public void leakDetected(Duration heldFor, Throwable trace) {
                        borrower.set(trace);
                    }
                })
                .build());
        Lease<Res> lease = pool.acquire();
        clock.advance(Duration.ofSeconds(4));
        pool.housekeep();
        assertEquals(0, pool.metrics().leaks());
        clock.advance(Duration.ofSeconds(1));
        pool.housekeep();
        pool.housekeep();
        assertEquals(1, pool.metrics().leaks());
        assertTrue(borrower.get()
                .getMessage()
                .contains("acquired by thread " + Thread.currentThread().getName()));
        assertEquals(
                "leakIsLoggedWithTheBorrowerStackAndCountedOnce",
                java.util.Arrays.stream(borrower.get().getStackTrace())
                        .filter(f -> f.getClassName().equals(FairPoolTest.class.getName()))
                        .findFirst()
                        .orElseThrow()
                        .getMethodName());
        lease.close();
    }

    @Test
    void minIdleIsCreatedInTheBackgroundOnPoolThreads() {
        List<String> creators = new CopyOnWriteArrayList<>();
        ResourceFactory<String> named = () -> {
            creators.add(Thread.currentThread().getName());
            return "r";
        };
        Pool<String> pool = Pool.builder(named).name("orders").minIdle(2).build();
        pools.add(pool);
        Await.until("two idle", () -> pool.metrics().idle() == 2);
        assertEquals(2, creators.size());
        creators.forEach(n -> assertTrue(n.matches("infra-pool-orders-\\d+"), n));
    }

    @Test
    void invalidatedResourceIsReplacedForTheWaiter() throws Exception {
        Pool<Res> pool = track(builder().maxSize(1).build());
        Lease<Res> held = pool.acquire();
        Future<Lease<Res>> waiter = acquireAsync(pool, Duration.ofSeconds(10));
        Await.until("one waiter", () -> pool.metrics().waiting() == 1);
        held.invalidate();
        try (Lease<Res> got = waiter.get(10, TimeUnit.SECONDS)) {
            assertEquals(2, got.get().id);
        }
        assertEquals(1, factory.maxLive.get(), "the old one is destroyed before the new one is created");
    }

    @Test
    void interruptedWaiterGetsAPoolExceptionAndKeepsItsFlag() throws Exception {
        Pool<Res> pool = track(builder().maxSize(1).build());
        Lease<Res> held = pool.acquire();
        AtomicReference<Thread> thread = new AtomicReference<>();
        CompletableFuture<Boolean> flag = new CompletableFuture<>();
        threads.submit(() -> {
            thread.set(Thread.currentThread());
            try {
                pool.acquire(Duration.ofSeconds(10));
                flag.complete(false);
            } catch (PoolException e) {
                flag.complete(Thread.currentThread().isInterrupted()
                        && e.getMessage().equals("pool 'orders': interrupted while waiting for a resource"));
            }
        });
        Await.until("one waiter", () -> pool.metrics().waiting() == 1);
        thread.get().interrupt();
        assertTrue(flag.get(10, TimeUnit.SECONDS));
        assertEquals(0, pool.metrics().waiting());
        held.close();
    }

    @Test
    void concurrentUseNeverExceedsMaxSize() throws Exception {
        Pool<Res> pool = track(Pool.builder(factory).name("busy").maxSize(3).build());
        AtomicInteger ok = new AtomicInteger();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            fs.add(threads.submit(() -> {
                for (int i = 0; i < 2000; i++) {
                    try (Lease<Res> lease = pool.acquire(Duration.ofSeconds(5))) {
                        if (lease.get().destroyed) {
                            errors.add(new AssertionError("handed out a destroyed resource"));
                        }
                        if ((i & 63) == 0) {
                            lease.invalidate();
                        }
                        ok.incrementAndGet();
                    } catch (RuntimeException e) {
                        errors.add(e);
                    }
                }
            }));
        }
        for (Future<?> f : fs) {
            f.get(20, TimeUnit.SECONDS);
        }
        assertEquals(List.of(), new ArrayList<>(errors));
        assertEquals(12000, ok.get());
        assertTrue(factory.maxLive.get() <= 3, "max live " + factory.maxLive.get());
        // Every lease is closed, so nothing is in use, not even the replacement of the last invalidated
        // resource that the background creator may still be handing out (it counts as idle meanwhile).
        PoolMetrics m = pool.metrics();
        assertEquals(12000, m.acquired());
        assertEquals(0, m.active());
        assertTrue(m.total() <= 3);
    }

    @Test
    void bargingModeServesEveryoneAndNeverExceedsMaxSize() throws Exception {
        Pool<Res> pool = track(
                Pool.builder(factory).name("barging").maxSize(2).fair(false).build());
        AtomicInteger ok = new AtomicInteger();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            fs.add(threads.submit(() -> {
                for (int i = 0; i < 2000; i++) {
                    try (Lease<Res> lease = pool.acquire(Duration.ofSeconds(10))) {
                        if (lease.get().destroyed) {
                            errors.add(new AssertionError("handed out a destroyed resource"));
                        }
                        if ((i & 127) == 0) {
                            lease.invalidate();
                        }
                        ok.incrementAndGet();
                    } catch (RuntimeException e) {
                        errors.add(e);
                    }
                }
            }));
        }
        for (Future<?> f : fs) {
            f.get(20, TimeUnit.SECONDS);
        }
        assertEquals(List.of(), new ArrayList<>(errors));
        assertEquals(16000, ok.get());
        assertTrue(factory.maxLive.get() <= 2, "max live " + factory.maxLive.get());
        PoolMetrics m = pool.metrics();
        assertEquals(16000, m.acquired());
        assertEquals(0, m.active());
        assertEquals(0, m.waiting());
        assertEquals(0, m.timeouts());
    }

    @Test
    void bargingWaiterIsWokenWhenAResourceComesBack() throws Exception {
        Pool<Res> pool = track(builder().maxSize(1).fair(false).build());
        Lease<Res> held = pool.acquire();
        Res res = held.get();
        Future<Lease<Res>> waiter = acquireAsync(pool, Duration.ofSeconds(10));
        Await.until("one waiter", () -> pool.metrics().waiting() == 1);
        held.close();
        Lease<Res> got = waiter.get(10, TimeUnit.SECONDS);
        assertSame(res, got.get());
        assertEquals(0, pool.metrics().waiting());
        got.close();
    }

    @Test
    void bargingCloseFailsWaiters() throws Exception {
        Pool<Res> pool = track(builder().maxSize(1).fair(false).build());
        Lease<Res> held = pool.acquire();
        Future<Lease<Res>> waiter = acquireAsync(pool, Duration.ofSeconds(10));
        Await.until("one waiter", () -> pool.metrics().waiting() == 1);
        Future<Boolean> closing = threads.submit(() -> pool.close(Duration.ofSeconds(10)));
        assertInstanceOf(PoolClosedException.class, failureOf(waiter));
        held.close();
        assertTrue(closing.get(10, TimeUnit.SECONDS));
        assertEquals(0, factory.live.get());
    }

    @Test
    void listenerReceivesLifecycleEvents() {
        List<String> events = new CopyOnWriteArrayList<>();
        Pool<Res> pool = track(builder()
                .maxSize(1)
                .listener(new PoolListener() {
                    @Override
                    public void created(Duration took) {
                        events.add("created");
                    }

                    @Override
                    public void destroyed(String reason) {
                        events.add("destroyed " + reason);
                    }

                    @Override
                    public void acquireFailed(PoolException error) {
                        events.add("failed " + error.getClass().getSimpleName());
                    }
                })
                .build());
        Lease<Res> lease = pool.acquire();
        assertThrows(PoolExhaustedException.class, () -> pool.acquire(Duration.ZERO));
        lease.invalidate();
        Await.until("destroyed", () -> events.size() == 3);
        assertEquals(List.of("created", "failed PoolExhaustedException", "destroyed invalidated"), events);
        PoolMetrics m = pool.metrics();
        assertEquals(1, m.created());
        assertEquals(1, m.destroyed());
        assertEquals(1, m.timeouts());
        assertEquals(1, m.usageTime().count());
        assertEquals(0, m.total());
    }
}
