package io.infrablocks.lb.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.infrablocks.lb.Endpoint;
import io.infrablocks.lb.LoadBalancer;
import io.infrablocks.lb.OutlierDetection;
import io.infrablocks.lb.Strategy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The marks that send a success down the slow path ({@link Member.HandleCounters#slowSuccess}). */
class SlowSuccessTest {

    private static final List<Strategy> STRATEGIES =
            List.of(Strategy.roundRobin(), Strategy.p2cEwma(), Strategy.leastResponseTime());

    private static DefaultLoadBalancer build(Strategy strategy) {
        return (DefaultLoadBalancer) LoadBalancer.builder()
                .endpoints(Endpoint.of("e0", "10.0.0.1", 8080), Endpoint.of("e1", "10.0.0.2", 8080))
                .strategy(strategy)
                .outlierDetection(
                        OutlierDetection.builder().consecutiveFailures(5).build())
                .build();
    }

    /** Picks until a call lands on {@code id} (the others succeed at once) and returns it, still in flight. */
    private static Member.Handle pickOn(DefaultLoadBalancer lb, String id) {
        for (int i = 0; i < 1_000; i++) {
            Member.Handle h = (Member.Handle) lb.pick();
            if (h.endpoint().id().equals(id)) {
                return h;
            }
            h.success(1_000_000);
        }
        throw new AssertionError("no pick of " + id + " in 1000");
    }

    /** Each of the member's handles' marks, one letter per stripe: M marked, - not. */
    private static String marks(Member m) {
        StringBuilder out = new StringBuilder();
        for (Member.Handle h : m.handles) {
            out.append(h.slowSuccess ? 'M' : '-');
        }
        return out.toString();
    }

    @Test
    void aFailureOrADrainMarksEveryHandleAndOnlyASuccessOutsideADrainClearsThem() throws Exception {
        for (Strategy strategy : STRATEGIES) {
            try (DefaultLoadBalancer lb = build(strategy)) {
                Member.Handle open = pickOn(lb, "e0");
                Member m = open.member;
                List<String> seen = new ArrayList<>();
                seen.add(marks(m)); // nothing to do on a success yet
                lb.drain("e0");
                seen.add(marks(m)); // every success reports drain progress
                open.success(1_000);
                seen.add(marks(m)); // still draining: the marks stay
                assertTrue(lb.awaitDrained(open.endpoint(), Duration.ZERO), strategy.name());
                lb.undrain("e0");
                seen.add(marks(m)); // a stale mark: the next success clears it
                pickOn(lb, "e0").success(1_000);
                seen.add(marks(m));
                pickOn(lb, "e0").failure(1_000);
                seen.add(marks(m) + " streak " + m.consecutiveFailures);
                pickOn(lb, "e0").success(1_000);
                seen.add(marks(m) + " streak " + m.consecutiveFailures);
                assertEquals(
                        List.of("----", "MMMM", "MMMM", "MMMM", "----", "MMMM streak 1", "---- streak 0"),
                        seen,
                        strategy.name());
            }
        }
    }

    /** A 2-thread race, run trial after trial: both sides spin until released together, then each runs its step. */
    private static final class Race implements AutoCloseable {
        private final Thread other;
        private volatile Runnable otherStep;
        private volatile int released;
        private volatile int finished;
        private volatile boolean closed;

        Race() {
            other = new Thread(() -> {
                for (int trial = 1; ; trial++) {
                    while (released < trial) {
                        if (closed) {
                            return;
                        }
                        Thread.onSpinWait();
                    }
                    otherStep.run();
                    finished = trial;
                }
            });
            other.setDaemon(true);
            other.start();
        }

        /** Runs trial {@code trial} (1, 2, ...): {@code a} on the other thread and {@code b} on this one, at once. */
        void run(int trial, Runnable a, Runnable b) {
            otherStep = a;
            released = trial;
            b.run();
            while (finished < trial) {
                Thread.onSpinWait();
            }
        }

        @Override
        public void close() {
            closed = true; // the other thread sees it while it waits for the next trial, and returns
        }
    }

    private static DefaultLoadBalancer single() {
        return (DefaultLoadBalancer) LoadBalancer.builder()
                .endpoints(Endpoint.of("e0", "10.0.0.1", 8080))
                .strategy(Strategy.roundRobin())
                .outlierDetection(OutlierDetection.builder()
                        .consecutiveFailures(1_000_000)
                        .build())
                .build();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aFailureRacingASuccessNeverLeavesAStreakUnmarked() throws Exception {
        int streaks = 0;
        try (DefaultLoadBalancer lb = single();
                Race race = new Race()) {
            for (int trial = 1; trial <= 50_000; trial++) {
                Member.Handle f = (Member.Handle) lb.pick();
                Member.Handle s = (Member.Handle) lb.pick();
                Member m = f.member;
                // a streak and its marks first, so the racing success takes the slow path: the race is between its
                // clearing and reading the streak, and the failure's counting and marking (which finds them marked)
                lb.pick().failure(1_000);
                race.run(trial, () -> f.failure(1_000), () -> s.success(1_000));
                int streak = m.consecutiveFailures;
                if (streak != 0) {
                    streaks++;
                    assertEquals("MMMM", marks(m), "trial " + trial);
                }
                lb.pick().success(1_000); // ends the streak and clears the marks for the next trial
            }
        }
        // the failure landed last often enough to test this side (most trials, typically)
        assertTrue(streaks > 0, "no trial ended with a streak");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aDrainRacingASuccessNeverLeavesTheDrainUnmarked() throws Exception {
        try (DefaultLoadBalancer lb = single();
                Race race = new Race()) {
            for (int trial = 1; trial <= 50_000; trial++) {
                Member.Handle s = (Member.Handle) lb.pick();
                Member m = s.member;
                // marked by a streak first, so the racing success takes the slow path and the drain finds the handles
                // marked: the race is between the success's first status read and its clearing, and the drain
                lb.pick().failure(1_000);
                race.run(trial, () -> lb.drain("e0"), () -> s.success(1_000));
                assertEquals("MMMM", marks(m), "trial " + trial);
                lb.undrain("e0");
                lb.pick().success(1_000); // clears the marks for the next trial
            }
        }
    }
}
