package io.infrablocks.pool.work;

/**
 * An adaptive limit on the tasks a {@link WorkerPool} has in flight (queued plus running), opted into with
 * {@link WorkerPool.Builder#adaptiveLimit(AdaptiveLimit)}. Where a fixed queue capacity lets latency grow
 * until the queue is full, this limit follows the latency the tasks actually see: it grows while the sampled
 * submission-to-completion time stays at its no-load level, and shrinks when queueing makes it rise, so that
 * excess load meets the pool's {@link OverflowPolicy} early instead of waiting in a long queue (Little's law:
 * tasks in flight = throughput x latency; beyond the throughput the workers can give, more tasks in flight
 * only add latency).
 *
 * <p>The algorithm is the delay-based one of TCP Vegas (Brakmo and Peterson, 1995) as Netflix's
 * concurrency-limits library applies it to request concurrency ({@code VegasLimit}): with {@code L} the
 * limit, {@code rtt} a sampled task's submission-to-completion time and {@code rttNoLoad} the least such
 * time seen, the tasks queued because of the limit are estimated as {@code q = ceil(L x (1 - rttNoLoad /
 * rtt))}; with {@code g = max(1, floor(log10 L))}, the limit grows by {@code 6g} if {@code q <= g}, by
 * {@code g} if {@code q < 3g}, shrinks by {@code g} if {@code q > 6g}, and stays otherwise, within {@code
 * [minLimit, maxLimit]}. Samples taken while fewer than half the permitted tasks were in flight leave it
 * unchanged (they say nothing about the limit), and {@code rttNoLoad} is re-measured from the next sample
 * every {@code 30 x L} samples, so that a lasting change of the tasks' cost is eventually taken as the new
 * no-load level. Samples are the tasks the pool times for its metrics ({@link
 * WorkerPool.Builder#latencySampleRate(int)}).
 *
 * <p>At the limit, a submission meets the pool's {@link OverflowPolicy} as at a full queue: {@code REJECT}
 * throws, {@code BLOCK} waits for a task to finish (with a timeout for BLOCK with timeout), {@code
 * CALLER_RUNS} runs the task in the caller, {@code DROP_OLDEST} drops the oldest queued task (its future
 * fails) and queues the new one in its place, and rejects it if no task is queued (all are running).
 * Instances are immutable.
 */
public final class AdaptiveLimit {

    private final int initialLimit;
    private final int minLimit;
    private final int maxLimit;

    private AdaptiveLimit(int initialLimit, int minLimit, int maxLimit) {
        this.initialLimit = initialLimit;
        this.minLimit = minLimit;
        this.maxLimit = maxLimit;
    }

    /**
     * A Vegas-style limit (see the class comment).
     *
     * @param initialLimit the limit until samples move it, within {@code [minLimit, maxLimit]}
     * @param minLimit the least the limit shrinks to, at least 1
     * @param maxLimit the most it grows to
     * @return the limit's configuration
     * @throws IllegalArgumentException if the bounds are out of order or {@code minLimit < 1}
     */
    public static AdaptiveLimit vegas(int initialLimit, int minLimit, int maxLimit) {
        if (minLimit < 1) {
            throw new IllegalArgumentException("minLimit must be > 0 but was " + minLimit);
        }
        if (maxLimit < minLimit) {
            throw new IllegalArgumentException("maxLimit must be >= minLimit (" + minLimit + ") but was " + maxLimit);
        }
        if (initialLimit < minLimit || initialLimit > maxLimit) {
            throw new IllegalArgumentException(
                    "initialLimit must be within [" + minLimit + ", " + maxLimit + "] but was " + initialLimit);
        }
        return new AdaptiveLimit(initialLimit, minLimit, maxLimit);
    }

    /**
     * The limit at start.
     *
     * @return the initial limit
     */
    public int initialLimit() {
        return initialLimit;
    }

    /**
     * The lower bound.
     *
     * @return the least limit
     */
    public int minLimit() {
        return minLimit;
    }

    /**
     * The upper bound.
     *
     * @return the greatest limit
     */
    public int maxLimit() {
        return maxLimit;
    }

    @Override
    public String toString() {
        return "vegas(initial " + initialLimit + ", min " + minLimit + ", max " + maxLimit + ")";
    }
}
