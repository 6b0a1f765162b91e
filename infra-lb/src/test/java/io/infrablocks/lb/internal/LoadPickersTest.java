package io.infrablocks.lb.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.infrablocks.lb.Endpoint;
import io.infrablocks.lb.LoadBalancer;
import io.infrablocks.lb.Request;
import io.infrablocks.lb.Selection;
import io.infrablocks.lb.Strategy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * P2C's deck of candidate pairs ({@link LoadPickers.Ahead}): each column holds every member in its weight's
 * share, every pair is two distinct members, and a balancer without a given generator spreads its picks over the
 * members as the deck says.
 */
class LoadPickersTest {

    private static Member[] members(int... weights) {
        Member[] out = new Member[weights.length];
        for (int i = 0; i < weights.length; i++) {
            out[i] =
                    new Member(null, Endpoint.of("m" + i, "127.0.0.1", 2000 + i).withWeight(weights[i]), true, false);
        }
        return out;
    }

    private static LoadBalancer p2cEwma(String name, List<Endpoint> endpoints, AtomicLong clock) {
        return LoadBalancer.builder()
                .name(name)
                .endpoints(endpoints)
                .strategy(Strategy.p2cEwma())
                .clock(clock::get)
                .build();
    }

    private static int first(int entry) {
        return entry >>> (16 + Picker.STRIPE_BITS);
    }

    private static int second(int entry) {
        return (entry & 0xFFFF) >>> Picker.STRIPE_BITS;
    }

    @Test
    void eachColumnHoldsEveryMemberInItsWeightsShareAndEveryPairIsDistinct() {
        RandomGenerator r = new SplittableRandom(11);
        List<int[]> cases = new ArrayList<>();
        cases.add(new int[] {1, 1});
        cases.add(new int[] {1, 2, 3, 4, 5, 1, 2, 3, 4, 5});
        int[] hundred = new int[100];
        for (int i = 0; i < hundred.length; i++) {
            hundred[i] = 1 + i % 5;
        }
        cases.add(hundred);
        int[] many = new int[Math.min(3000, LoadPickers.Ahead.MAX_MEMBERS)];
        for (int i = 0; i < many.length; i++) {
            many[i] = i == 0 ? 1000 : 1;
        }
        cases.add(many);
        for (int[] weights : cases) {
            Member[] ms = members(weights);
            int[] deck = LoadPickers.Ahead.deck(ms, r);
            int size = deck.length;
            assertEquals(Integer.highestOneBit(size), size, "a power of two");
            assertTrue(size >= 1024 && size >= 2 * ms.length, "size " + size);
            int[] shares = LoadPickers.TwoChoices.shares(ms, size);
            int[] firsts = new int[ms.length];
            int[] seconds = new int[ms.length];
            for (int e : deck) {
                int i = first(e);
                int j = second(e);
                assertNotEquals(i, j, "a pair of one member");
                firsts[i]++;
                seconds[j]++;
            }
            assertArrayEquals(shares, firsts, ms.length + " members, first column");
            assertArrayEquals(shares, seconds, ms.length + " members, second column");
        }
    }

    @Test
    void aDominantMemberIsPairedWithTheOthers() {
        Member[] ms = members(1000, 1, 1);
        int[] deck = LoadPickers.Ahead.deck(ms, new SplittableRandom(3));
        int withZero = 0;
        for (int e : deck) {
            assertNotEquals(first(e), second(e));
            if (first(e) == 0 || second(e) == 0) {
                withZero++;
            }
        }
        // the shares cannot all be kept: every pair must still hold two members
        assertTrue(withZero > deck.length * 9 / 10, withZero + " of " + deck.length);
    }

    @Test
    void sharesAddUpToTheSizeAndGiveEveryMemberAPlace() {
        int[] weights = new int[1500];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = i == 0 ? 2 : 1; // about 0.7 of a place each, rounded up
        }
        Member[] ms = members(weights);
        int[] shares = LoadPickers.TwoChoices.shares(ms, 1024 * 2);
        int sum = 0;
        for (int s : shares) {
            assertTrue(s >= 1);
            sum += s;
        }
        assertEquals(2048, sum);
    }

    @Test
    void unseededP2cKeepsOutstandingCallsInProportionToWeight() {
        int[] weights = {1, 2, 3, 4, 1, 2, 3, 4, 5, 5};
        List<Endpoint> endpoints = new ArrayList<>();
        int total = 0;
        for (int i = 0; i < weights.length; i++) {
            endpoints.add(Endpoint.of("e" + i, "127.0.0.1", 3000 + i).withWeight(weights[i]));
            total += weights[i];
        }
        // (peak EWMA ranks endpoints without latency samples by a penalty, not by weight: least-connections only)
        for (Strategy strategy : List.of(Strategy.p2cLeastConnections())) {
            try (LoadBalancer lb = LoadBalancer.builder()
                    .name("deck")
                    .endpoints(endpoints)
                    .strategy(strategy)
                    .build()) {
                int picks = 30_000;
                int[] counts = new int[weights.length];
                for (int k = 0; k < picks; k++) {
                    Selection s = lb.pick(Request.none()); // never completed: every call stays in flight
                    counts[Integer.parseInt(s.endpoint().id().substring(1))]++;
                }
                for (int i = 0; i < weights.length; i++) {
                    double expected = (double) picks * weights[i] / total;
                    assertEquals(expected, counts[i], picks * 0.005, strategy.name() + ", e" + i + ": " + counts[i]);
                }
            }
        }
    }

    @Test
    void peakEwmaScoresAreEachStripesCostOverTheWeightAfterSamplesAndAfterReweighting() {
        AtomicLong clock = new AtomicLong(1_000_000_000L);
        List<Endpoint> endpoints = List.of(
                Endpoint.of("a", "127.0.0.1", 4000).withWeight(1),
                Endpoint.of("b", "127.0.0.1", 4001).withWeight(3),
                Endpoint.of("c", "127.0.0.1", 4002).withWeight(5));
        try (LoadBalancer lb = p2cEwma("scores", endpoints, clock)) {
            DefaultLoadBalancer d = (DefaultLoadBalancer) lb;
            for (int k = 0; k < 300; k++) {
                Selection s = lb.pick(Request.none());
                clock.addAndGet(1_000_000);
                s.success(1_000_000L + 1_000L * (k % 7) + 50_000L * s.endpoint().weight());
            }
            assertScores(d, Map.of("a", 1, "b", 3, "c", 5), true);
            lb.updateEndpoint(endpoints.get(1).withWeight(7));
            assertScores(d, Map.of("a", 1, "b", 7, "c", 5), false);
            for (int k = 0; k < 30; k++) {
                Selection s = lb.pick(Request.none());
                clock.addAndGet(1_000_000);
                s.success(2_000_000);
            }
            assertScores(d, Map.of("a", 1, "b", 7, "c", 5), false);
        }
    }

    private static void assertScores(DefaultLoadBalancer d, Map<String, Integer> weights, boolean allMeasured) {
        for (Map.Entry<String, Integer> e : weights.entrySet()) {
            Member m = d.member(e.getKey());
            int measured = 0;
            for (int s = 0; s < Stripes.COUNT; s++) {
                Member.Handle h = m.handle(s);
                assertEquals(h.cost / e.getValue(), h.score, 0.0, e.getKey() + ", stripe " + s);
                assertEquals(e.getValue(), h.weight);
                if (h.cost > 0) {
                    measured++;
                }
            }
            assertTrue(measured >= (allMeasured ? 1 : 0), e.getKey() + " measured on " + measured + " stripes");
        }
    }

    @Test
    void aReweightRacingWithEstimateUpdatesEndsOnTheLastCostOverTheLastWeight() {
        List<Endpoint> endpoints = List.of(
                Endpoint.of("a", "127.0.0.1", 4100).withWeight(1),
                Endpoint.of("b", "127.0.0.1", 4101).withWeight(2));
        AtomicLong clock = new AtomicLong();
        try (LoadBalancer lb = p2cEwma("race", endpoints, clock)) {
            Member m = ((DefaultLoadBalancer) lb).member("a");
            Member.Handle h = m.handle(0);
            // each trial starts one update and one re-weight at the same moment (spinning on two counters, so they
            // overlap within a few hundred nanoseconds) and then checks the handle
            AtomicInteger go = new AtomicInteger();
            AtomicInteger done = new AtomicInteger();
            int trials = 100_000;
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                Thread updater = new Thread(() -> {
                    long now = 0;
                    for (int t = 1; t <= trials; t++) {
                        while (go.get() < t) {
                            Thread.onSpinWait();
                        }
                        // a new tick every time, latencies alternating above and below the estimate: every call
                        // changes the cost
                        now += 1_000_000;
                        h.observe(now, t % 2 == 0 ? 5_000_000 : 100_000);
                        done.set(t);
                    }
                });
                updater.setDaemon(true);
                updater.start();
                for (int t = 1; t <= trials; t++) {
                    go.set(t);
                    m.setWeight(1 + t % 7); // one writer, as under the balancer's write lock
                    while (done.get() < t) {
                        Thread.onSpinWait();
                    }
                    assertEquals(h.cost / h.weightD, h.score, 0.0, "trial " + t);
                    assertEquals(m.weight, h.weight, "trial " + t);
                }
                updater.join();
            });
        }
    }

    @Test
    void aStripeWithoutASampleHasAnOddStampOfItsOwnSoEqualStampsMeanBothHaveOne() {
        AtomicLong clock = new AtomicLong(1_000_001L); // odd: a stamp clears the lowest bit of the reading
        List<Endpoint> endpoints = List.of(Endpoint.of("a", "127.0.0.1", 4200), Endpoint.of("b", "127.0.0.1", 4201));
        try (LoadBalancer lb = p2cEwma("stamps", endpoints, clock)) {
            DefaultLoadBalancer d = (DefaultLoadBalancer) lb;
            Set<Long> stamps = new HashSet<>();
            for (String id : List.of("a", "b")) {
                for (int s = 0; s < Stripes.COUNT; s++) {
                    long stamp = d.member(id).handle(s).costStamp;
                    assertEquals(1, stamp & 1, id + ", stripe " + s);
                    stamps.add(stamp);
                }
            }
            assertEquals(2 * Stripes.COUNT, stamps.size());
            Member.Handle a = d.member("a").handle(0);
            Member.Handle b = d.member("b").handle(0);
            Member.Handle b1 = d.member("b").handle(1);
            long unsampled = a.costStamp;

            a.observe(clock.get(), 0); // a sample of 0 leaves no estimate
            assertEquals(0.0, a.cost);
            assertEquals(unsampled, a.costStamp);
            a.observe(clock.get(), 2_000_000);
            assertEquals(2_000_000.0, a.cost);
            assertEquals(1_000_000L, a.costStamp);
            // without a sample on both, the checked rules decide (null), in either order and for two without one
            assertNull(LoadPickers.TwoChoices.lighterByCost(d, a, b));
            assertNull(LoadPickers.TwoChoices.lighterByCost(d, b, a));
            assertNull(LoadPickers.TwoChoices.lighterByCost(d, b, b1));
            // the deck's rule for a missing sample: nothing in flight is the lightest, something in flight a penalty
            assertSame(b, LoadPickers.AheadEwma.lighterWithoutSample(a, b));
            assertSame(b, LoadPickers.AheadEwma.lighterWithoutSample(b, a));
            assertSame(b, LoadPickers.AheadEwma.lighterWithoutSample(b, b1));
            b.acquireStriped();
            assertSame(a, LoadPickers.AheadEwma.lighterWithoutSample(a, b));
            assertSame(a, LoadPickers.AheadEwma.lighterWithoutSample(b, a));
            assertSame(b1, LoadPickers.AheadEwma.lighterWithoutSample(b, b1));
            assertTrue(b.releaseChecked());

            b.observe(clock.get(), 1_000_000); // the same tick: equal stamps
            assertEquals(a.costStamp, b.costStamp);
            assertSame(b, LoadPickers.TwoChoices.lighterByCost(d, a, b));
            assertSame(b, LoadPickers.TwoChoices.lighterByCost(d, b, a));
            // two calls in flight on b: 1 ms x 3 against 2 ms x 1
            b.acquireStriped();
            b.acquireStriped();
            assertSame(a, LoadPickers.TwoChoices.lighterByCost(d, a, b));
            assertSame(a, LoadPickers.TwoChoices.lighterByCost(d, b, a));
            assertTrue(b.releaseChecked());
            assertTrue(b.releaseChecked());
            // a new peak replaces b's estimate: 2 ms each, and a tie goes to the first
            b.observe(clock.get(), 2_000_000);
            assertEquals(2_000_000.0, b.cost);
            assertSame(a, LoadPickers.TwoChoices.lighterByCost(d, a, b));
            assertSame(b, LoadPickers.TwoChoices.lighterByCost(d, b, a));

            // one decay time later b has a new sample (1.37 ms) and a has none: a's 2 ms counts as 0.74 ms
            clock.addAndGet(d.ewmaDecayNanos);
            b.observe(clock.get(), 1_000_000);
            assertNotEquals(a.costStamp, b.costStamp);
            assertEquals(2_000_000.0 * Math.exp(-1) + 1_000_000 * (1 - Math.exp(-1)), b.cost, 1e-6);
            assertSame(a, LoadPickers.TwoChoices.lighterByCost(d, a, b));
            assertSame(a, LoadPickers.TwoChoices.lighterByCost(d, b, a));
        }
    }
}
