package io.infrablocks.lb.internal;

import io.infrablocks.lb.Endpoint;
import io.infrablocks.lb.HealthCheck;
import io.infrablocks.lb.LoadBalancerListener;
import io.infrablocks.lb.OutlierDetection;
import io.infrablocks.lb.Strategy;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * The validated, immutable settings of one balancer, handed from {@code LoadBalancer.Builder}.
 *
 * @param name the balancer's name
 * @param endpoints initial endpoints
 * @param strategy the strategy
 * @param strategyName the strategy's name
 * @param strategySize ring points or Maglev table size (0: default)
 * @param loadFactor bounded-load factor c
 * @param baseName base strategy of bounded-load
 * @param baseSize size parameter of the base
 * @param clock nanosecond clock
 * @param random random source or null for ThreadLocalRandom
 * @param threadFactory health-check threads
 * @param healthCheck active checks or null
 * @param outlierDetection passive checks
 * @param panicThreshold healthy fraction below which panic mode starts
 * @param slowStartNanos slow-start window, 0 for off
 * @param stickyMaxEntries sticky table bound, 0 for off
 * @param stickyTtlNanos sticky binding TTL
 * @param ewmaDecayNanos peak-EWMA time constant
 * @param listener event listener
 */
public record LbConfig(
        String name,
        List<Endpoint> endpoints,
        Strategy strategy,
        String strategyName,
        int strategySize,
        double loadFactor,
        String baseName,
        int baseSize,
        LongSupplier clock,
        RandomGenerator random,
        ThreadFactory threadFactory,
        HealthCheck healthCheck,
        OutlierDetection outlierDetection,
        double panicThreshold,
        long slowStartNanos,
        int stickyMaxEntries,
        long stickyTtlNanos,
        long ewmaDecayNanos,
        LoadBalancerListener listener) {

    /**
     * The default clock, {@code System::nanoTime}; the balancer recognizes it by identity and then lets the
     * peak-EWMA completions read a {@link CoarseClock} instead.
     */
    public static final LongSupplier SYSTEM_CLOCK = System::nanoTime;
}
