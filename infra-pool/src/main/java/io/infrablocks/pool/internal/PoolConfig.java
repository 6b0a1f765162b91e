package io.infrablocks.pool.internal;

import io.infrablocks.pool.Fairness;
import io.infrablocks.pool.NanoClock;
import io.infrablocks.pool.PoolListener;
import io.infrablocks.pool.ResourceFactory;
import java.util.concurrent.ThreadFactory;

/**
 * The validated, immutable settings of a pool, all durations in nanoseconds (zero = off where the builder
 * says so).
 *
 * @param factory the resource factory
 * @param name the pool's name
 * @param maxSize most resources at once
 * @param minIdle idle resources kept ready
 * @param acquireTimeout default acquire wait
 * @param maxWaiters wait-queue bound
 * @param validateAfterIdle validate before lending a resource idle this long
 * @param keepalive background validation period for idle resources, 0 = off
 * @param idleTimeout destroy idle resources past this, 0 = never
 * @param maxLifetime retire resources this old, 0 = never
 * @param lifetimeJitter random shortening of each lifetime
 * @param leakThreshold leak-detection threshold, 0 = off
 * @param retryInitial first creation-retry backoff
 * @param retryMax largest creation-retry backoff
 * @param failFast fail acquires at once while creation fails
 * @param fairness strict FIFO hand-off (the default), barging, or hybrid (barging with a starvation threshold)
 * @param closeTimeout default close wait
 * @param housekeepingPeriod housekeeping period
 * @param clock the time source
 * @param systemClock whether {@code clock} is the system clock (waiters may then park for the whole wait)
 * @param threadFactory the background thread factory, or null for the default
 * @param listener the event listener
 * @param <T> the resource type
 */
public record PoolConfig<T>(
        ResourceFactory<T> factory,
        String name,
        int maxSize,
        int minIdle,
        long acquireTimeout,
        int maxWaiters,
        long validateAfterIdle,
        long keepalive,
        long idleTimeout,
        long maxLifetime,
        long lifetimeJitter,
        long leakThreshold,
        long retryInitial,
        long retryMax,
        boolean failFast,
        Fairness fairness,
        long closeTimeout,
        long housekeepingPeriod,
        NanoClock clock,
        boolean systemClock,
        ThreadFactory threadFactory,
        PoolListener listener) {}
