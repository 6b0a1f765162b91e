package io.infrablocks.lb;

import static io.infrablocks.lb.TestSupport.ep;
import static io.infrablocks.lb.TestSupport.eps;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class LbPropertyTest {

    private static final List<String> CONSISTENT = List.of("ring-hash", "rendezvous");

    @Property(tries = 200)
    void smoothWeightedRoundRobinIsExactOverEveryPeriodAndSmooth(
            @ForAll @Size(min = 1, max = 8) List<@IntRange(min = 1, max = 12) Integer> weights) {
        List<Endpoint> endpoints = new ArrayList<>();
        int total = 0;
        int gcd = 0;
        for (int i = 0; i < weights.size(); i++) {
            endpoints.add(ep("e" + i, weights.get(i)));
            total += weights.get(i);
            gcd = gcd(gcd, weights.get(i));
        }
        int period = total / gcd;
        try (LoadBalancer lb = LoadBalancer.builder()
                .endpoints(endpoints)
                .strategy(Strategy.weightedRoundRobin())
                .build()) {
            int[] counts = new int[weights.size()];
            for (int k = 1; k <= 3 * period; k++) {
                Selection s = lb.pick();
                s.success(1);
                counts[Integer.parseInt(s.endpoint().id().substring(1))]++;
                for (int i = 0; i < counts.length; i++) {
                    double ideal = k * (double) weights.get(i) / total;
                    // Smoothness: nginx's smooth WRR has no "within 1 of the ideal at every prefix" guarantee
                    // (a 1.06 deviation was found with 8 endpoints); over 50,000 random weight vectors here it
                    // stayed below 2, and every full period is exact (asserted below).
                    assertTrue(
                            Math.abs(counts[i] - ideal) < 2.0,
                            "not smooth: after " + k + " picks e" + i + " has " + counts[i] + ", ideal " + ideal);
                }
                if (k % period == 0) {
                    for (int i = 0; i < counts.length; i++) {
                        assertEquals(k / period * (weights.get(i) / gcd), counts[i], "period end, e" + i);
                    }
                }
            }
        }
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    @Property(tries = 150)
    void noPickReturnsAnEjectedOrDrainingEndpointWhileAHealthyOneExists(
            @ForAll @IntRange(min = 0, max = 13) int strategyIndex,
            @ForAll @IntRange(min = 2, max = 12) int n,
            @ForAll @Size(min = 1, max = 60) List<@IntRange(min = 0, max = 99) Integer> actions,
            @ForAll long seed,
            @ForAll boolean seeded) {
        // unseeded, P2C takes its drawn-ahead pairs and checks health only after counting the call (the
        // unchecked path); removals shrink the snapshot under pairs drawn for a larger one
        String strategy = Strategy.names().get(strategyIndex);
        TestSupport.ManualClock clock = new TestSupport.ManualClock();
        LoadBalancer.Builder builder = LoadBalancer.builder()
                .endpoints(eps(n))
                .strategy(Strategy.named(strategy))
                .clock(clock)
                .panicThreshold(0)
                .slowStart(java.time.Duration.ofSeconds(5))
                .outlierDetection(OutlierDetection.builder()
                        .consecutiveFailures(1)
                        .maxEjectionPercent(100)
                        .build());
        if (seeded) {
            builder.random(new SplittableRandom(seed));
        }
        try (LoadBalancer lb = builder.build()) {
            SplittableRandom r = new SplittableRandom(seed);
            for (int action : actions) {
                String id = "e" + (action % n);
                boolean present = lb.endpoints().stream().anyMatch(e -> e.id().equals(id));
                if (action < 10) {
                    if (present) {
                        lb.drain(id);
                    }
                } else if (action < 15) {
                    if (present) {
                        lb.undrain(id);
                    }
                } else if (action < 20) {
                    clock.advanceMillis(7_000);
                } else if (action < 25) {
                    if (lb.endpoints().size() > 1) {
                        lb.removeEndpoint(id);
                    }
                } else if (action < 30) {
                    if (!present) {
                        lb.addEndpoint(ep(id));
                    }
                }
                boolean anyHealthy = false;
                for (EndpointStats s : lb.stats().endpoints()) {
                    anyHealthy |= s.status() == EndpointStatus.HEALTHY || s.status() == EndpointStatus.SLOW_START;
                }
                if (!anyHealthy) {
                    continue;
                }
                Selection s = lb.pick(Request.ofHash(r.nextLong()));
                EndpointStatus status = statusOf(lb, s.endpoint().id());
                assertTrue(
                        status == EndpointStatus.HEALTHY || status == EndpointStatus.SLOW_START,
                        strategy + " picked " + s.endpoint().id() + " in state " + status);
                if (action >= 80) {
                    s.failure(1); // ejects it (consecutive failures = 1)
                } else {
                    s.success(1);
                }
            }
            // every pick was completed: a refused candidate's count was backed out
            assertEquals(0, lb.stats().inFlight(), strategy);
        }
    }

    private static EndpointStatus statusOf(LoadBalancer lb, String id) {
        for (EndpointStats s : lb.stats().endpoints()) {
            if (s.endpoint().id().equals(id)) {
                return s.status();
            }
        }
        throw new AssertionError("no " + id);
    }

    @Property(tries = 60)
    void consistentHashingMovesOnlyTheKeysOfTheRemovedEndpoint(
            @ForAll @IntRange(min = 0, max = 2) int algorithm,
            @ForAll @IntRange(min = 2, max = 30) int n,
            @ForAll @IntRange(min = 0, max = 1000) int removedSeed,
            @ForAll long keySeed) {
        Strategy strategy = algorithm < 2 ? Strategy.named(CONSISTENT.get(algorithm)) : Strategy.jump();
        // jump hash guarantees minimal movement only for the last bucket
        int removed = algorithm < 2 ? removedSeed % n : n - 1;
        try (LoadBalancer lb = LoadBalancer.builder()
                .endpoints(eps(n))
                .strategy(strategy)
                .outlierDetection(OutlierDetection.disabled())
                .build()) {
            SplittableRandom r = new SplittableRandom(keySeed);
            long[] keys = new long[2000];
            String[] before = new String[keys.length];
            for (int i = 0; i < keys.length; i++) {
                keys[i] = r.nextLong();
                before[i] = owner(lb, keys[i]);
            }
            lb.removeEndpoint("e" + removed);
            for (int i = 0; i < keys.length; i++) {
                String after = owner(lb, keys[i]);
                if (!before[i].equals("e" + removed)) {
                    assertEquals(before[i], after, strategy.name() + " moved a key of a remaining endpoint");
                } else {
                    assertFalse(after.equals("e" + removed));
                }
            }
            lb.addEndpoint(ep("e" + removed));
            if (algorithm < 2) {
                for (int i = 0; i < keys.length; i++) {
                    assertEquals(before[i], owner(lb, keys[i]), "re-adding restores the mapping");
                }
            }
        }
    }

    private static String owner(LoadBalancer lb, long hash) {
        Selection s = lb.pick(Request.ofHash(hash));
        s.release();
        return s.endpoint().id();
    }

    @Property(tries = 100)
    void boundedLoadNeverExceedsItsCap(
            @ForAll @IntRange(min = 1, max = 12) int n,
            @ForAll @DoubleRange(min = 1.0, max = 2.0) double c,
            @ForAll boolean ring,
            @ForAll @Size(min = 1, max = 300) List<@IntRange(min = 0, max = 9) Integer> actions,
            @ForAll long seed) {
        Strategy base = ring ? Strategy.ringHash(40) : Strategy.maglev(1009);
        try (LoadBalancer lb = LoadBalancer.builder()
                .endpoints(eps(n))
                .strategy(Strategy.boundedLoad(base, c))
                .build()) {
            SplittableRandom r = new SplittableRandom(seed);
            List<Selection> open = new ArrayList<>();
            int hotKeys = 1 + r.nextInt(3);
            for (int action : actions) {
                if (action < 3 && !open.isEmpty()) {
                    open.remove(r.nextInt(open.size())).success(1);
                    continue;
                }
                int total = lb.stats().inFlight();
                int cap = (int) Math.ceil(c * (total + 1) / n);
                Selection s = lb.pick(Request.ofHash(Request.mix(r.nextInt(hotKeys))));
                open.add(s);
                int now = statsOf(lb).get(s.endpoint().id());
                assertTrue(now <= cap, s.endpoint().id() + " has " + now + " in flight, cap " + cap);
            }
        }
    }

    private static Map<String, Integer> statsOf(LoadBalancer lb) {
        Map<String, Integer> m = new HashMap<>();
        for (EndpointStats s : lb.stats().endpoints()) {
            m.put(s.endpoint().id(), s.inFlight());
        }
        return m;
    }

    @Property(tries = 50)
    void keyHashIsStableForAFixedMembership(
            @ForAll @IntRange(min = 0, max = 5) int algorithm, @ForAll @IntRange(min = 1, max = 20) int n) {
        List<Strategy> strategies = List.of(
                Strategy.keyHash(),
                Strategy.ringHash(),
                Strategy.maglev(1009),
                Strategy.rendezvous(),
                Strategy.jump(),
                Strategy.boundedLoad(Strategy.maglev(1009), 1.25));
        String name = strategies.get(algorithm).name();
        try (LoadBalancer lb = LoadBalancer.builder()
                .endpoints(eps(n))
                .strategy(strategies.get(algorithm))
                .build()) {
            Set<String> owners = new HashSet<>();
            for (int i = 0; i < 20; i++) {
                owners.add(owner(lb, 12345L));
            }
            assertEquals(1, owners.size(), name);
        }
    }
}
