package io.infrablocks.lb.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.infrablocks.lb.Endpoint;
import io.infrablocks.lb.LoadBalancer;
import io.infrablocks.lb.Request;
import io.infrablocks.lb.Selection;
import io.infrablocks.lb.Strategy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class CoarseClockTest {

    /** Records the threads it makes (daemon, named like the balancer's). */
    static final class Recording implements ThreadFactory {
        final List<Thread> threads = new ArrayList<>();

        @Override
        public synchronized Thread newThread(Runnable r) {
            Thread t = new Thread(r, "infra-lb-test-clock-" + (threads.size() + 1));
            t.setDaemon(true);
            threads.add(t);
            return t;
        }

        synchronized List<Thread> threads() {
            return List.copyOf(threads);
        }
    }

    /** Spins until the clock reads {@code expected}, failing after 10 s (a spin ignores the class timeout). */
    private static void awaitReading(CoarseClock clock, long expected) {
        await(clock::now, expected, "the clock reads");
    }

    /** Spins until {@code read} returns {@code expected}, failing after 10 s with the last value. */
    private static void await(LongSupplier read, long expected, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long last;
        while ((last = read.getAsLong()) != expected) {
            if (System.nanoTime() - deadline > 0) {
                fail(what + " " + last + ", not " + expected);
            }
            Thread.onSpinWait();
        }
    }

    @Test
    void firstReadReturnsTheSourceAndStartsOneTicker() throws InterruptedException {
        AtomicLong source = new AtomicLong(1_000);
        Recording factory = new Recording();
        try (CoarseClock clock = new CoarseClock(source::get, factory, 100_000, 1_000_000)) {
            assertEquals(0, factory.threads().size());
            assertEquals(1_000, clock.now());
            assertEquals(1, factory.threads().size());
            assertTrue(clock.ticking());
            source.set(5_000);
            // the ticker raises the cached value to the source within its resolution
            awaitReading(clock, 5_000);
            assertEquals(1, factory.threads().size());
        }
        Thread ticker = factory.threads().get(0);
        ticker.join(5_000);
        assertFalse(ticker.isAlive());
    }

    @Test
    void followsASourceBelowZero() {
        // System.nanoTime() may read below 0
        AtomicLong source = new AtomicLong(-5_000_000_000L);
        Recording factory = new Recording();
        try (CoarseClock clock = new CoarseClock(source::get, factory, 100_000, 1_000_000)) {
            assertEquals(-5_000_000_000L, clock.now());
            assertTrue(clock.ticking());
            source.set(-4_000_000_000L);
            awaitReading(clock, -4_000_000_000L);
        }
    }

    @Test
    void readsNeverGoBackwardsAndLagBySourceSteps() {
        AtomicLong source = new AtomicLong();
        Recording factory = new Recording();
        try (CoarseClock clock = new CoarseClock(source::get, factory, 50_000, 1_000_000)) {
            long last = Long.MIN_VALUE;
            for (int i = 0; i < 200_000; i++) {
                long s = source.addAndGet(3);
                long t = clock.now();
                assertTrue(t >= last, "went back from " + last + " to " + t);
                assertTrue(t <= s, "ahead of the source: " + t + " > " + s);
                last = t;
            }
        }
    }

    @Test
    void settledIsTheTickWithItsLowestBitClearedWhileATickerRunsElseUnset() throws InterruptedException {
        AtomicLong source = new AtomicLong(1_001);
        Recording factory = new Recording();
        CoarseClock clock = new CoarseClock(source::get, factory, 100_000, 1_000_000);
        assertEquals(CoarseClock.UNSET, clock.settled());
        assertEquals(1, CoarseClock.UNSET & 1); // odd: no stamp equals it
        assertEquals(1_001, clock.now());
        assertEquals(1_000, clock.settled()); // set by the read that starts the ticker
        source.set(5_003);
        await(clock::settled, 5_002, "settled() is");
        clock.close();
        Thread ticker = factory.threads().get(0);
        ticker.join(5_000);
        assertFalse(ticker.isAlive());
        assertEquals(CoarseClock.UNSET, clock.settled());
        assertEquals(CoarseClock.UNSET, CoarseClock.direct(source::get).settled());
    }

    @Test
    void idleTickerStopsAndTheNextReadStartsAnother() throws InterruptedException {
        AtomicLong source = new AtomicLong(10);
        Recording factory = new Recording();
        try (CoarseClock clock = new CoarseClock(source::get, factory, 100_000, 3)) {
            assertEquals(10, clock.now());
            Thread first = factory.threads().get(0);
            first.join(5_000);
            assertFalse(first.isAlive());
            assertFalse(clock.ticking());
            assertEquals(CoarseClock.UNSET, clock.settled());
            source.set(20);
            // stopped: a read goes to the source, and starts a new ticker
            assertEquals(20, clock.now());
            assertEquals(2, factory.threads().size());
        }
    }

    @Test
    void closedClockReadsTheSourceWithoutThreads() throws InterruptedException {
        AtomicLong source = new AtomicLong(7);
        Recording factory = new Recording();
        CoarseClock clock = new CoarseClock(source::get, factory, 100_000, 3);
        clock.close();
        clock.close();
        assertEquals(7, clock.now());
        source.set(9);
        assertEquals(9, clock.now());
        assertEquals(0, factory.threads().size());
    }

    @Test
    void failingThreadFactoryFallsBackToTheSource() {
        AtomicLong source = new AtomicLong(3);
        ThreadFactory failing = r -> {
            throw new IllegalStateException("no threads here");
        };
        try (CoarseClock clock = new CoarseClock(source::get, failing, 100_000, 3)) {
            assertEquals(3, clock.now());
            source.set(4);
            assertEquals(4, clock.now());
            assertFalse(clock.ticking());
            assertEquals(CoarseClock.UNSET, clock.settled());
        }
    }

    @Test
    void ewmaBalancerOnTheSystemClockTicksOnItsOwnThreadFactoryUntilClosed() throws InterruptedException {
        Recording factory = new Recording();
        LoadBalancer lb = LoadBalancer.builder()
                .name("coarse")
                .endpoints(Endpoint.of("a", "10.0.0.1", 80), Endpoint.of("b", "10.0.0.2", 80))
                .strategy(Strategy.p2cEwma())
                .threadFactory(factory)
                .build();
        assertEquals(0, factory.threads().size());
        lb.pick(Request.none()).success(1_000_000);
        assertEquals(1, factory.threads().size());
        lb.close();
        Thread ticker = factory.threads().get(0);
        ticker.join(5_000);
        assertFalse(ticker.isAlive());
    }

    @Test
    void completionsBetweenTicksKeepTheTickerRunningAndANewPeakIsTakenAtOnce() throws InterruptedException {
        Recording factory = new Recording();
        try (LoadBalancer lb = LoadBalancer.builder()
                .name("settled")
                .endpoints(Endpoint.of("a", "10.0.0.1", 80), Endpoint.of("b", "10.0.0.2", 80))
                .strategy(Strategy.p2cEwma())
                .threadFactory(factory)
                .build()) {
            // most completions compare their stamp with settled() and do not read the clock; the first of each
            // estimate after a tick does, so the ticker (which stops after 1 s without a read) keeps running
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1_500);
            while (System.nanoTime() - end < 0) {
                lb.pick(Request.none()).success(1_000_000);
            }
            assertEquals(1, factory.threads().size());
            assertTrue(factory.threads().get(0).isAlive());
            Selection s = lb.pick(Request.none());
            s.success(50_000_000); // above the estimate: replaces it, within the tick or not
            assertEquals(50_000_000.0, ((Member.Handle) s).cost);
        }
    }

    @Test
    void injectedClockIsReadDirectly() {
        Recording factory = new Recording();
        AtomicLong now = new AtomicLong();
        try (LoadBalancer lb = LoadBalancer.builder()
                .endpoints(Endpoint.of("a", "10.0.0.1", 80))
                .strategy(Strategy.p2cEwma())
                .clock(now::get)
                .threadFactory(factory)
                .build()) {
            lb.pick(Request.none()).success(1_000_000);
            assertEquals(0, factory.threads().size());
        }
    }
}
