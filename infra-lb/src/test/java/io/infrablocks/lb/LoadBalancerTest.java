package io.infrablocks.lb;

import static io.infrablocks.lb.TestSupport.ep;
import static io.infrablocks.lb.TestSupport.eps;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.infrablocks.lb.TestSupport.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class LoadBalancerTest {

    private static String pickId(LoadBalancer lb) {
        Selection s = lb.pick();
        s.success(1_000_000);
        return s.endpoint().id();
    }

    @Test
    void smoothWeightedRoundRobinMatchesNginx() {
        try (LoadBalancer lb = LoadBalancer.builder()
                .endpoints(ep("a", 5), ep("b", 1), ep("c", 1))
                .strategy(Strategy.weightedRoundRobin())
                .build()) {
            StringBuilder seq = new StringBuilder();
            for (int i = 0; i < 14; i++) {
                seq.append(pickId(lb));
            }
            assertEquals("aabacaaaabacaa", seq.toString());
        }
    }

    @Test
    void roundRobinCyclesInOrder() {
        try (LoadBalancer lb = LoadBalancer.builder()
                .endpoints(eps(3))
                .strategy(Strategy.roundRobin())
                .build()) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                ids.add(pickId(lb));
            }
            assertEquals(List.of("e0", "e1", "e2", "e0", "e1", "e2"), ids);
        }
    }

    @Test
    void builderRejectsBadSettingsWithNameAndValue() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> LoadBalancer.builder().panicThreshold(120).build());
        assertEquals("panicThreshold must be in [0, 100] but was 120.0", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> LoadBalancer.builder().endpoints(ep("a"), ep("a")).build());
        assertEquals("endpoints must have distinct ids but 'a' appears twice", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ep("a", 0));
        assertEquals("weight must be in [1, 1000000] but was 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Strategy.maglev(65536));
        assertEquals("primeTableSize must be a prime in [7, 50000000] but was 65536", e.getMessage());
        NullPointerException npe = assertThrows(
                NullPointerException.class, () -> LoadBalancer.builder().strategy(null));
        assertEquals("strategy", npe.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> OutlierDetection.builder().maxEjectionPercent(101).build());
        assertEquals("maxEjectionPercent must be in [0, 100] but was 101", e.getMessage());
    }

    @Test
    void everyNamedStrategyBuildsAndPicks() {
        for (String name : Strategy.names()) {
            Strategy s = Strategy.named(name);
            assertEquals(name, s.name());
            try (LoadBalancer lb =
                    LoadBalancer.builder().endpoints(eps(5)).strategy(s).build()) {
                Selection sel = lb.pick(Request.ofKey("k"));
                assertTrue(sel.endpoint().id().startsWith("e"), name);
                sel.success(10);
                assertEquals(0, lb.stats().inFlight(), name);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Strategy.named("nope"));
    }

    @Test
    void closeIsIdempotentAndPickAfterCloseFails() {
        LoadBalancer lb = LoadBalancer.builder().name("x").endpoints(eps(2)).build();
        lb.close();
        lb.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, lb::pick);
        assertEquals("load balancer 'x' is closed", e.getMessage());
        assertThrows(IllegalStateException.class, () -> lb.addEndpoint(ep("z")));
    }

    @Test
    void completingTwiceIsDetected() {
        try (LoadBalancer lb = LoadBalancer.builder()
                .name("x")
                .endpoints(eps(1))
                .strategy(Strategy.roundRobin())
                .build()) {
            Selection s = lb.pick();
            s.success(5);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.success(5));
            assertEquals(
                    "endpoint 'e0' of load balancer 'x' has no call in flight: a selection was completed more"
                            + " times than it was picked",
                    e.getMessage());
            assertEquals(0, lb.stats().inFlight());
        }
    }

    @Test
    void pickReturnsPreallocatedSelections() {
        try (LoadBalancer lb = LoadBalancer.builder()
                .endpoints(eps(2))
                .strategy(Strategy.roundRobin())
                .build()) {
            Selection a = lb.pick();
            Selection b = lb.pick();
            Selection a2 = lb.pick();
            assertTrue(a == a2, "same handle for the same endpoint");
            assertFalse(a == b);
            assertEquals(2, lb.stats().endpoints().get(0).inFlight());
            a.release();
            a2.release();
            b.release();
        }
    }

    @Test
    void drainingEndpointGetsNoPicksAndAwaitDrainedWaitsForInFlight() throws Exception {
        try (LoadBalancer lb = LoadBalancer.builder()
                .endpoints(eps(3))
                .strategy(Strategy.roundRobin())
                .build()) {
            Selection inFlight = lb.pick();
            assertEquals("e0", inFlight.endpoint().id());
            lb.drain("e0");
            for (int i = 0; i < 30; i++) {
                assertNotEquals("e0", pickId(lb));
            }
            assertFalse(lb.awaitDrained(ep("e0"), Duration.ZERO));
            assertEquals(EndpointStatus.DRAINING, lb.stats().endpoints().get(0).status());
            CountDownLatch waiting = new CountDownLatch(1);
            AtomicReference<Boolean> result = new AtomicReference<>();
            Thread waiter = new Thread(() -> {
                waiting.countDown();
                try {
                    result.set(lb.awaitDrained(ep("e0"), Duration.ofSeconds(30)));
                } catch (InterruptedException e) {
                    result.set(null);
                }
            });
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                waiter.start();
                waiting.await();
                inFlight.success(1);
                waiter.join();
            });
            assertEquals(Boolean.TRUE, result.get());
            lb.undrain("e0");
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                seen.add(pickId(lb));
            }
            assertEquals(Set.of("e0", "e1", "e2"), seen);
            IllegalStateException e =
                    assertThrows(IllegalStateException.class, () -> lb.awaitDrained(ep("e1"), Duration.ZERO));
            assertTrue(e.getMessage().contains("is not draining"));
        }
    }

    @Test
    void allDrainingThrowsNoAvailableEndpointWithState() {
        try (LoadBalancer lb = LoadBalancer.builder()
                .name("orders")
                .endpoints(eps(2))
                .strategy(Strategy.roundRobin())
                .build()) {
            lb.drain("e0");
            lb.drain("e1");
            NoAvailableEndpointException e = assertThrows(NoAvailableEndpointException.class, lb::pick);
            assertEquals(
                    "load balancer 'orders' has no available endpoint: 2 endpoints (0 healthy, 2 draining, 0"
                            + " ejected, 0 down), panic mode off (threshold 50%)",
                    e.getMessage());
        }
    }

    @Test
    void consecutiveFailuresEjectWithGrowingEjectionTime() {
        ManualClock clock = new ManualClock();
        List<String> events = new ArrayList<>();
        try (LoadBalancer lb = LoadBalancer.builder()
                .endpoints(eps(4))
                .strategy(Strategy.roundRobin())
                .clock(clock)
                .outlierDetection(OutlierDetection.builder()
                        .consecutiveFailures(3)
                        .baseEjectionTime(Duration.ofSeconds(10))
                        .maxEjectionPercent(25)
                        .build())
                .listener(new LoadBalancerListener() {
                    @Override
                    public void onEjected(Endpoint endpoint, Duration duration, String reason) {
                        events.add("ejected " + endpoint.id() + " " + duration.toSeconds() + "s " + reason);
                    }

                    @Override
                    public void onRestored(Endpoint endpoint) {
                        events.add("restored " + endpoint.id());
                    }
                })
                .build()) {
            failUntilEjected(lb, "e1", 3);
            assertEquals(List.of("ejected e1 10s 3 consecutive failures"), events);
            assertEquals(EndpointStatus.EJECTED, lb.stats().endpoints().get(1).status());
            for (int i = 0; i < 12; i++) {
                assertNotEquals("e1", pickId(lb));
            }
            // the cap: 25% of 4 = 1 endpoint, so e2 is not ejected while e1 is
            failUntilEjected(lb, "e2", 3);
            assertEquals(EndpointStatus.HEALTHY, lb.stats().endpoints().get(2).status());
            clock.advanceMillis(10_000);
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < 8; i++) {
                seen.add(pickId(lb));
            }
            assertTrue(seen.contains("e1"));
            failUntilEjected(lb, "e1", 3);
            assertEquals(
                    List.of(
                            "ejected e1 10s 3 consecutive failures",
                            "restored e1",
                            "ejected e1 20s 3 consecutive failures"),
                    events);
            assertEquals(2, lb.stats().endpoints().get(1).ejections());
            clock.advanceMillis(19_999);
            assertEquals(EndpointStatus.EJECTED, lb.stats().endpoints().get(1).status());
        }
    }

    @Test
    void ejectionCountDecaysOneStepPerBaseEjectionTimeInService() {
        ManualClock clock = new ManualClock();
        List<String> events = new ArrayList<>();
        try (LoadBalancer lb = LoadBalancer.builder()
                .endpoints(eps(2))
                .strategy(Strategy.roundRobin())
                .clock(clock)
                .outlierDetection(OutlierDetection.builder()
                        .consecutiveFailures(1)
                        .baseEjectionTime(Duration.ofSeconds(10))
                        .maxEjectionTime(Duration.ofSeconds(100))
                        .maxEjectionPercent(50)
                        .build())
                .listener(new LoadBalancerListener() {
                    @Override
                    public void onEjected(Endpoint endpoint, Duration duration, String reason) {
                        events.add(endpoint.id() + " " + duration.toSeconds() + "s");
                    }
                })
                .build()) {
            // three ejections in a row, each right after the previous one ended: 10 s, 20 s, 30 s
            failUntilEjected(lb, "e0", 1);
            clock.advanceMillis(10_000);
            failUntilEjected(lb, "e0", 1);
            clock.advanceMillis(20_000);
            failUntilEjected(lb, "e0", 1);
            assertEquals(List.of("e0 10s", "e0 20s", "e0 30s"), events);
            assertEquals(3, lb.stats().endpoints().get(0).ejections());
            clock.advanceMillis(30_000); // the third ejection ends now
            assertEquals(3, lb.stats().endpoints().get(0).ejections());
            clock.advanceMillis(9_999);
            assertEquals(3, lb.stats().endpoints().get(0).ejections());
            clock.advanceMillis(1);
            assertEquals(2, lb.stats().endpoints().get(0).ejections());
            clock.advanceMillis(10_000);
            assertEquals(1, lb.stats().endpoints().get(0).ejections());
            // two base ejection times in service: the next ejection is the second, not the fourth
            failUntilEjected(lb, "e0", 1);
            assertEquals("e0 20s", events.get(3));
            assertEquals(2, lb.stats().endpoints().get(0).ejections());
            clock.advanceMillis(20_000 + 60_000); // long in service: back to the base time
            assertEquals(0, lb.stats().endpoints().get(0).ejections());
            failUntilEjected(lb, "e0", 1);
            assertEquals(List.of("e0 10s", "e0 20s", "e0 30s", "e0 20s", "e0 10s"), events);
        }
    }

    @Test
    void awaitDrainedTimesOutOnTheInjectedClock() {
        ManualClock clock = new ManualClock();
        try (LoadBalancer lb = LoadBalancer.builder()
                .endpoints(eps(2))
                .strategy(Strategy.roundRobin())
                .clock(clock)
                .build()) {
            Selection call = lb.pick();
            assertEquals("e0", call.endpoint().id());
            lb.drain("e0");
            CountDownLatch started = new CountDownLatch(1);
            AtomicReference<Boolean> result = new AtomicReference<>();
            Thread waiter = new Thread(() -> {
                started.countDown();
                try {
                    // an hour of real time would fail the test's bound: only the injected clock can end it
                    result.set(lb.awaitDrained(ep("e0"), Duration.ofHours(1)));
                } catch (InterruptedException e) {
                    result.set(null);
                }
            });
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                waiter.start();
                started.await();
                // TIMED_WAITING: it read the clock for its start and waits in awaitNanos
                while (waiter.getState() != Thread.State.TIMED_WAITING) {
                    Thread.onSpinWait();
                }
                clock.advanceMillis(3_600_000);
                waiter.join();
            });
            assertEquals(Boolean.FALSE, result.get());
            assertEquals(1, lb.stats().endpoints().get(0).inFlight());
            call.success(1);
            assertEquals(0, lb.stats().endpoints().get(0).inFlight());
        }
    }

    @Test
    void aSuccessEndsTheFailureStreakWhicheverClassCompletesTheCall() {
        // round-robin completes through a plain handle, P2C peak EWMA through a stripe-cost one, least response time
        // through the general completion: each must send the success that ends a streak down the slow path
        for (Strategy strategy : List.of(Strategy.roundRobin(), Strategy.p2cEwma(), Strategy.leastResponseTime())) {
            List<String> events = new ArrayList<>();
            try (LoadBalancer lb = LoadBalancer.builder()
                    .endpoints(eps(3))
                    .strategy(strategy)
                    .outlierDetection(OutlierDetection.builder()
                            .consecutiveFailures(3)
                            .maxEjectionPercent(50)
                            .build())
                    .listener(new LoadBalancerListener() {
                        @Override
                        public void onEjected(Endpoint endpoint, Duration duration, String reason) {
                            events.add("ejected " + endpoint.id() + " " + reason);
                        }
                    })
                    .build()) {
                completeOn(lb, "e0", "FFSFF");
                assertEquals(List.of(), events, strategy.name());
                assertEquals(
                        EndpointStatus.HEALTHY, lb.stats().endpoints().get(0).status(), strategy.name());
                completeOn(lb, "e0", "F");
                assertEquals(List.of("ejected e0 3 consecutive failures"), events, strategy.name());
            }
        }
    }

    /**
     * Completes the calls picked on {@code id} as {@code script} says, in order ({@code F} a failure, {@code S} a
     * success), each in 1 µs; the calls picked on other endpoints succeed in 1 ms (so a latency-aware strategy keeps
     * picking {@code id}).
     */
    private static void completeOn(LoadBalancer lb, String id, String script) {
        int done = 0;
        for (int i = 0; i < 10_000 && done < script.length(); i++) {
            Selection s = lb.pick();
            if (!s.endpoint().id().equals(id)) {
                s.success(1_000_000);
            } else if (script.charAt(done++) == 'F') {
                s.failure(1_000);
            } else {
                s.success(1_000);
            }
        }
        assertEquals(script.length(), done);
    }

    private static void failUntilEjected(LoadBalancer lb, String id, int failures) {
        int failed = 0;
        for (int i = 0; i < 100 && failed < failures; i++) {
            Selection s = lb.pick();
            if (s.endpoint().id().equals(id)) {
                s.failure(1_000);
                failed++;
            } else {
                s.success(1_000);
            }
        }
        assertEquals(failures, failed);
    }

    @Test
    void failureRateEjects() {
        ManualClock clock = new ManualClock();
        try (LoadBalancer lb = LoadBalancer.builder()
                .endpoints(eps(2))
                .strategy(Strategy.roundRobin())
                .clock(clock)
                .outlierDetection(OutlierDetection.builder()
                        .consecutiveFailures(0)
                        .failureRate(0.5, 10, Duration.ofSeconds(10))
                        .maxEjectionPercent(50)
                        .build())
                .build()) {
            // e0 alternates failure/success: never 2 in a row, 50 % rate
            for (int i = 0; i < 20; i++) {
                Selection s = lb.pick();
                if (s.endpoint().id().equals("e0")) {
                    s.complete(i % 4 != 0, 1_000);
                } else {
                    s.success(1_000);
                }
            }
            assertEquals(EndpointStatus.EJECTED, lb.stats().endpoints().get(0).status());
            assertEquals(5, lb.stats().endpoints().get(0).failures());
        }
    }

    @Test
    void panicModePicksUnhealthyEndpointsBelowThreshold() {
        ManualClock clock = new ManualClock();
        AtomicInteger panics = new AtomicInteger();
        try (LoadBalancer lb = LoadBalancer.builder()
                .endpoints(eps(4))
                .strategy(Strategy.roundRobin())
                .clock(clock)
                .panicThreshold(75)
                .outlierDetection(OutlierDetection.builder()
                        .consecutiveFailures(1)
                        .maxEjectionPercent(100)
                        .build())
                .listener(new LoadBalancerListener() {
                    @Override
                    public void onPanic(boolean panic, int healthy, int total) {
                        if (panic) {
                            assertEquals(2, healthy);
                            assertEquals(4, total);
                            panics.incrementAndGet();
                        }
                    }
                })
                .build()) {
            failUntilEjected(lb, "e0", 1);
            assertFalse(lb.stats().panic());
            for (int i = 0; i < 8; i++) {
                assertNotEquals("e0", pickId(lb));
            }
            failUntilEjected(lb, "e1", 1);
            assertTrue(lb.stats().panic());
            assertEquals(1, panics.get());
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < 8; i++) {
                seen.add(pickId(lb));
            }
            assertEquals(Set.of("e0", "e1", "e2", "e3"), seen);
        }
    }

    @Test
    void slowStartRampsShareOfAddedEndpoint() {
        ManualClock clock = new ManualClock();
        try (LoadBalancer lb = LoadBalancer.builder()
                .endpoints(eps(4))
                .strategy(Strategy.roundRobin())
                .clock(clock)
                .random(new SplittableRandom(42))
                .slowStart(Duration.ofSeconds(10))
                .build()) {
            lb.addEndpoint(ep("new"));
            assertEquals(
                    EndpointStatus.SLOW_START, lb.stats().endpoints().get(4).status());
            int early = countPicks(lb, "new", 5000);
            clock.advanceMillis(5_000);
            int middle = countPicks(lb, "new", 5000);
            clock.advanceMillis(5_000);
            int late = countPicks(lb, "new", 5000);
            assertEquals(EndpointStatus.HEALTHY, lb.stats().endpoints().get(4).status());
            assertEquals(1000, late);
            assertTrue(early < 150, "early " + early);
            assertTrue(middle > 400 && middle < 600, "middle " + middle);
        }
    }

    private static int countPicks(LoadBalancer lb, String id, int picks) {
        int n = 0;
        for (int i = 0; i < picks; i++) {
            if (pickId(lb).equals(id)) {
                n++;
            }
        }
        return n;
    }

    @Test
    void stickySessionsKeepKeyAndReportRebinding() {
        ManualClock clock = new ManualClock();
        List<String> rebinds = new ArrayList<>();
        try (LoadBalancer lb = LoadBalancer.builder()
                .endpoints(eps(4))
                .strategy(Strategy.roundRobin())
                .clock(clock)
                .stickySessions(2, Duration.ofSeconds(60))
                .listener(new LoadBalancerListener() {
                    @Override
                    public void onRebound(String key, Endpoint from, Endpoint to) {
                        rebinds.add(key + ":" + from.id() + "->" + to.id());
                    }
                })
                .build()) {
            Selection first = lb.pick(Request.ofKey("alice"));
            first.success(1);
            assertFalse(first.rebound());
            String bound = first.endpoint().id();
            for (int i = 0; i < 10; i++) {
                Selection s = lb.pick(Request.ofKey("alice"));
                assertEquals(bound, s.endpoint().id());
                assertFalse(s.rebound());
                s.success(1);
            }
            lb.drain(bound);
            Selection moved = lb.pick(Request.ofKey("alice"));
            assertTrue(moved.rebound());
            assertNotEquals(bound, moved.endpoint().id());
            assertEquals(1, lb.stats().inFlight());
            moved.success(1);
            // the rebound selection completes through its handle: counted off once, and a second completion is
            // refused
            assertEquals(0, lb.stats().inFlight());
            assertThrows(IllegalStateException.class, () -> moved.success(1));
            assertEquals(List.of("alice:" + bound + "->" + moved.endpoint().id()), rebinds);
            Selection again = lb.pick(Request.ofKey("alice"));
            assertEquals(moved.endpoint().id(), again.endpoint().id());
            assertFalse(again.rebound());
            again.success(1);
            // bounded: 2 entries
            lb.pick(Request.ofKey("bob")).success(1);
            lb.pick(Request.ofKey("carol")).success(1);
            assertEquals(2, lb.stats().stickySessions());
            // TTL: after 60 s idle the binding is gone and a new one is made without "rebound"
            clock.advanceMillis(60_000);
            Selection fresh = lb.pick(Request.ofKey("carol"));
            assertFalse(fresh.rebound());
            fresh.success(1);
        }
    }

    @Test
    void leastConnectionsPicksTheLeastLoaded() {
        try (LoadBalancer lb = LoadBalancer.builder()
                .endpoints(ep("a"), ep("b", 2), ep("c"))
                .strategy(Strategy.leastConnections())
                .random(new SplittableRandom(1))
                .build()) {
            List<Selection> held = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                held.add(lb.pick());
            }
            Map<String, Integer> inFlight = new HashMap<>();
            for (EndpointStats s : lb.stats().endpoints()) {
                inFlight.put(s.endpoint().id(), s.inFlight());
            }
            assertEquals(Map.of("a", 2, "b", 4, "c", 2), inFlight);
            held.forEach(Selection::release);
        }
    }

    @Test
    void peakEwmaDecaysOnAClockThatReadsBelowZero() {
        // System.nanoTime() may be negative; so may an injected clock: the first sample still stamps the estimate
        for (Strategy strategy : List.of(Strategy.p2cEwma(), Strategy.leastResponseTime())) {
            AtomicLong clock = new AtomicLong(-20_000_000_000L);
            try (LoadBalancer lb = LoadBalancer.builder()
                    .endpoints(eps(1))
                    .strategy(strategy)
                    .clock(clock::get)
                    .build()) {
                lb.pick().success(5_000_000);
                clock.addAndGet(10_000_000_000L); // one decay time (the default 10 s), still below 0
                lb.pick().success(1_000_000);
                double w = Math.exp(-1);
                assertEquals(
                        5_000_000 * w + 1_000_000 * (1 - w),
                        lb.stats().endpoints().get(0).costNanos(),
                        1.0,
                        strategy.name());
            }
        }
    }

    @Test
    void peakEwmaAvoidsTheSlowEndpoint() {
        ManualClock clock = new ManualClock();
        try (LoadBalancer lb = LoadBalancer.builder()
                .endpoints(eps(3))
                .strategy(Strategy.p2cEwma())
                .clock(clock)
                .random(new SplittableRandom(7))
                .build()) {
            for (int i = 0; i < 300; i++) {
                Selection s = lb.pick();
                long latency = s.endpoint().id().equals("e0") ? 2_000_000_000L : 10_000_000L;
                clock.advanceMillis(1);
                s.success(latency);
            }
            int slow = countPicks(lb, "e0", 1000);
            assertTrue(slow < 20, "slow endpoint got " + slow);
            assertEquals(2_000_000_000L, lb.stats().endpoints().get(0).costNanos());
        }
    }

    @Test
    void everyStrategyFailsOverPastEjectedAndDrainingEndpoints() {
        ManualClock clock = new ManualClock();
        for (String name : Strategy.names()) {
            try (LoadBalancer lb = LoadBalancer.builder()
                    .endpoints(eps(5))
                    .strategy(Strategy.named(name))
                    .clock(clock)
                    .panicThreshold(0)
                    .outlierDetection(OutlierDetection.builder()
                            .consecutiveFailures(1)
                            .maxEjectionPercent(100)
                            .build())
                    .build()) {
                lb.drain("e3");
                int ejected = 0;
                for (int i = 0; i < 1000 && ejected == 0; i++) {
                    Selection s = lb.pick(Request.ofKey("k" + i));
                    if (s.endpoint().id().equals("e1")) {
                        s.failure(1);
                        ejected++;
                    } else {
                        s.success(1);
                    }
                }
                assertEquals(1, ejected, name);
                Random keys = new Random(3);
                for (int i = 0; i < 500; i++) {
                    Selection s = lb.pick(Request.ofKey("key" + keys.nextInt()));
                    String id = s.endpoint().id();
                    assertFalse(id.equals("e1") || id.equals("e3"), name + " picked " + id);
                    s.success(1);
                }
            }
        }
    }

    @Test
    void unseededP2cSpreadsOutstandingCallsEvenlyAndSkipsDrainedEndpoints() {
        // without a seeded generator each pick takes the candidate pair its stripe drew at the previous pick;
        // a stuck or skewed pair would pile the calls on few endpoints
        for (String strategy : List.of("p2c-least-connections", "p2c-ewma")) {
            List<Endpoint> eps = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                eps.add(ep("e" + i).withWeight(i < 5 ? 1 : 3));
            }
            try (LoadBalancer lb = LoadBalancer.builder()
                    .endpoints(eps)
                    .strategy(Strategy.named(strategy))
                    .build()) {
                lb.drain("e9");
                Map<String, Integer> counts = new HashMap<>();
                for (int i = 0; i < 2_000; i++) {
                    counts.merge(lb.pick().endpoint().id(), 1, Integer::sum);
                }
                assertFalse(counts.containsKey("e9"), strategy + ": picked the draining endpoint " + counts);
                assertEquals(2_000, lb.stats().inFlight());
                if (strategy.equals("p2c-ewma")) {
                    // no latency sample yet: an endpoint with calls in flight costs a penalty per weight, so the
                    // heavy ones take most calls, but each endpoint takes a call while it has none
                    for (int i = 0; i < 9; i++) {
                        assertTrue(counts.getOrDefault("e" + i, 0) > 0, strategy + ": e" + i + " unused: " + counts);
                    }
                    continue;
                }
                // every other endpoint carries its weight's share: 1 or 3 of 17 units (118 or 353 calls),
                // two choices keep each within a few calls of it
                for (int i = 0; i < 9; i++) {
                    int share = 2_000 * (i < 5 ? 1 : 3) / 17;
                    int got = counts.getOrDefault("e" + i, 0);
                    assertTrue(
                            Math.abs(got - share) <= 8,
                            strategy + ": e" + i + " has " + got + " calls, its share is " + share + ": " + counts);
                }
            }
        }
    }

    @Test
    void p2cLeastConnectionsComparesTheWeightsOfAReweightedEndpoint() {
        // two endpoints: every pick compares the same pair, so outstanding calls split exactly by weight
        for (boolean seeded : new boolean[] {false, true}) {
            LoadBalancer.Builder builder = LoadBalancer.builder()
                    .endpoints(List.of(ep("a"), ep("b")))
                    .strategy(Strategy.p2cLeastConnections());
            if (seeded) {
                builder.random(new Random(5));
            }
            try (LoadBalancer lb = builder.build()) {
                lb.updateEndpoint(ep("b").withWeight(3));
                Map<String, Integer> counts = new HashMap<>();
                for (int i = 0; i < 400; i++) {
                    counts.merge(lb.pick().endpoint().id(), 1, Integer::sum);
                }
                assertEquals(Map.of("a", 100, "b", 300), counts, "seeded " + seeded);
            }
        }
    }

    @Test
    void p2cCountsCallsCompletedOnAnotherThreadForThePickingThread() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (LoadBalancer lb = LoadBalancer.builder()
                    .endpoints(eps(2))
                    .strategy(Strategy.p2cLeastConnections())
                    .build()) {
                // P2C compares loads as the picking thread's stripe counts them; a completion made on another
                // thread must be credited to the stripe that picked, or this thread would keep seeing e0's
                // finished calls as in flight and split the next picks instead of sending them all to e0
                List<Selection> open = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    open.add(lb.pick());
                }
                List<Selection> e0 = new ArrayList<>();
                for (Selection s : open) {
                    if (s.endpoint().id().equals("e0")) {
                        e0.add(s);
                    }
                }
                assertEquals(5, e0.size(), "two candidates, always the lighter: 5 and 5");
                Thread other = new Thread(() -> e0.forEach(s -> s.success(1)));
                other.start();
                other.join();
                for (int i = 0; i < 5; i++) {
                    assertEquals("e0", lb.pick().endpoint().id(), "pick " + i);
                }
                assertEquals(10, lb.stats().inFlight());
            }
        });
    }

    @Test
    void p2cEwmaFeedsTheLatencyOfACallCompletedOnAnotherThreadToThePickingThread() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            ManualClock clock = new ManualClock();
            try (LoadBalancer lb = LoadBalancer.builder()
                    .endpoints(eps(2))
                    .strategy(Strategy.p2cEwma())
                    .clock(clock)
                    .build()) {
                // the first two picks go one to each endpoint (no estimate yet: a pending call is a penalty)
                Selection first = lb.pick();
                Selection second = lb.pick();
                assertNotEquals(first.endpoint().id(), second.endpoint().id());
                Selection slow = first.endpoint().id().equals("e0") ? first : second;
                Selection fast = slow == first ? second : first;
                clock.advanceMillis(1);
                Thread other = new Thread(() -> {
                    slow.success(100_000_000L);
                    fast.success(1_000_000L);
                });
                other.start();
                other.join();
                // this thread's estimates now say e0 costs 100 ms and e1 1 ms: with up to 99 calls pending on
                // e1 it stays lighter, so the next 10 picks (held open) all go to e1
                for (int i = 0; i < 10; i++) {
                    assertEquals("e1", lb.pick().endpoint().id(), "pick " + i);
                }
                assertEquals(100_000_000L, lb.stats().endpoints().get(0).costNanos());
                assertEquals(1_000_000L, lb.stats().endpoints().get(1).costNanos());
            }
        });
    }

    @Test
    void callsCompletedOnOtherAndShortLivedThreadsBalanceTheInFlightCounts() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            for (String strategy : List.of("round-robin", "p2c-least-connections", "maglev", "least-connections")) {
                try (LoadBalancer lb = LoadBalancer.builder()
                        .endpoints(eps(5))
                        .strategy(Strategy.named(strategy))
                        .build()) {
                    // 12 pickers hand every selection to one of 12 completers (more threads than stripes, so
                    // stripes have owners and non-owners), then 40 short-lived threads pick and complete in
                    // turn (each new thread may take over a stripe whose owner has terminated)
                    int pairs = 12;
                    int perPicker = 5_000;
                    List<java.util.concurrent.BlockingQueue<Selection>> queues = new ArrayList<>();
                    List<Thread> threads = new ArrayList<>();
                    AtomicReference<Throwable> failure = new AtomicReference<>();
                    CyclicBarrier start = new CyclicBarrier(2 * pairs);
                    for (int p = 0; p < pairs; p++) {
                        java.util.concurrent.BlockingQueue<Selection> q =
                                new java.util.concurrent.ArrayBlockingQueue<>(64);
                        queues.add(q);
                        threads.add(new Thread(() -> {
                            try {
                                start.await();
                                for (int i = 0; i < perPicker; i++) {
                                    q.put(lb.pick(Request.ofHash(i * 0x9E3779B97F4A7C15L)));
                                }
                            } catch (Throwable e) {
                                failure.compareAndSet(null, e);
                            }
                        }));
                        threads.add(new Thread(() -> {
                            try {
                                start.await();
                                for (int i = 0; i < perPicker; i++) {
                                    q.take().success(1);
                                }
                            } catch (Throwable e) {
                                failure.compareAndSet(null, e);
                            }
                        }));
                    }
                    for (Thread t : threads) {
                        t.start();
                    }
                    for (Thread t : threads) {
                        t.join();
                    }
                    if (failure.get() != null) {
                        throw new AssertionError(strategy, failure.get());
                    }
                    assertEquals(0, lb.stats().inFlight(), strategy);
                    Selection open = lb.pick();
                    for (int k = 0; k < 40; k++) {
                        Thread t = new Thread(() -> lb.pick().success(1));
                        t.start();
                        t.join();
                    }
                    assertEquals(1, lb.stats().inFlight(), strategy);
                    Thread other = new Thread(() -> open.success(1));
                    other.start();
                    other.join();
                    assertEquals(0, lb.stats().inFlight(), strategy);
                }
                try (LoadBalancer lb = LoadBalancer.builder()
                        .endpoints(eps(5))
                        .strategy(Strategy.named(strategy))
                        .build()) {
                    // picked here, completed twice on another thread: the second completion is caught (the
                    // completing thread's stripe shows more completions than picks, and so does the total)
                    Selection open = lb.pick();
                    List<Throwable> outcomes = new ArrayList<>();
                    Thread other = new Thread(() -> {
                        for (int k = 0; k < 2; k++) {
                            try {
                                open.success(1);
                                outcomes.add(null);
                            } catch (Throwable e) {
                                outcomes.add(e);
                            }
                        }
                    });
                    other.start();
                    other.join();
                    assertEquals(null, outcomes.get(0), strategy);
                    assertTrue(outcomes.get(1) instanceof IllegalStateException, strategy + ": " + outcomes.get(1));
                    assertEquals(0, lb.stats().inFlight(), strategy);
                }
            }
        });
    }

    @Test
    void drainingWhileUncheckedPicksRunEndsWithNoCallInFlightAndNoLaterPick() {
        // the unchecked pickers read no status before counting: the re-read after the count must still keep a
        // drained endpoint from getting a call once awaitDrained has said it has none
        for (String strategy : List.of("maglev", "jump", "p2c-least-connections", "p2c-ewma")) {
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                try (LoadBalancer lb = LoadBalancer.builder()
                        .endpoints(eps(4))
                        .strategy(Strategy.named(strategy))
                        .build()) {
                    int threads = 2;
                    CyclicBarrier start = new CyclicBarrier(threads + 1);
                    CountDownLatch halfway = new CountDownLatch(threads);
                    CountDownLatch done = new CountDownLatch(threads);
                    AtomicReference<Throwable> failure = new AtomicReference<>();
                    AtomicBoolean drained = new AtomicBoolean();
                    AtomicInteger toE0AfterDrained = new AtomicInteger();
                    for (int t = 0; t < threads; t++) {
                        long salt = t;
                        Thread th = new Thread(() -> {
                            try {
                                start.await();
                                for (int i = 0; i < 40_000; i++) {
                                    if (i == 10_000) {
                                        halfway.countDown();
                                    }
                                    Selection s = lb.pick(Request.ofHash((i * 2 + salt) * 0x9E3779B97F4A7C15L));
                                    // checked before the completion: awaitDrained cannot return while s is open
                                    if (s.endpoint().id().equals("e0") && drained.get()) {
                                        toE0AfterDrained.incrementAndGet();
                                    }
                                    s.success(1);
                                }
                            } catch (Throwable e) {
                                failure.compareAndSet(null, e);
                            } finally {
                                halfway.countDown();
                                done.countDown();
                            }
                        });
                        th.start();
                    }
                    start.await();
                    halfway.await();
                    lb.drain("e0");
                    assertTrue(lb.awaitDrained(ep("e0"), Duration.ofSeconds(10)), strategy);
                    drained.set(true);
                    done.await();
                    if (failure.get() != null) {
                        throw new AssertionError(strategy, failure.get());
                    }
                    assertEquals(0, toE0AfterDrained.get(), strategy);
                    assertEquals(0, lb.stats().inFlight(), strategy);
                }
            });
        }
    }

    @Test
    void membershipChangesNeverBreakConcurrentPicks() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (LoadBalancer lb = LoadBalancer.builder()
                    .endpoints(eps(8))
                    .strategy(Strategy.maglev(1009))
                    .build()) {
                int threads = 2;
                CyclicBarrier start = new CyclicBarrier(threads + 1);
                CountDownLatch done = new CountDownLatch(threads);
                AtomicReference<Throwable> failure = new AtomicReference<>();
                AtomicInteger picks = new AtomicInteger();
                for (int t = 0; t < threads; t++) {
                    Thread th = new Thread(() -> {
                        try {
                            start.await();
                            for (int i = 0; i < 20_000; i++) {
                                Selection s = lb.pick(Request.ofHash(i * 0x9E3779B97F4A7C15L));
                                if (s.endpoint().id().equals("e0")) {
                                    throw new AssertionError("picked removed/draining e0");
                                }
                                s.success(1);
                                picks.incrementAndGet();
                            }
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        } finally {
                            done.countDown();
                        }
                    });
                    th.start();
                }
                lb.drain("e0");
                start.await();
                for (int i = 0; i < 200; i++) {
                    lb.addEndpoint(ep("x" + i));
                    lb.updateEndpoint(ep("e1", 1 + i % 5));
                    lb.removeEndpoint("x" + i);
                }
                lb.removeEndpoint("e0");
                done.await();
                if (failure.get() != null) {
                    throw new AssertionError(failure.get());
                }
                assertEquals(40_000, picks.get());
                assertEquals(0, lb.stats().inFlight());
                assertEquals(7, lb.endpoints().size());
            }
        });
    }
}
