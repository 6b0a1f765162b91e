package io.infrablocks.pool;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link Pool} shares its resources among callers that wait; set with {@link
 * PoolBuilder#fairness(Fairness)}. Three modes:
 *
 * <ul>
 *   <li>{@link #FIFO} (the default): strict FIFO hand-off. A caller that arrives while others wait never
 *       gets a resource ahead of them; every resource that becomes available goes to the caller that has
 *       waited longest. The price, with more borrowing threads than CPUs, is a context switch per
 *       hand-off.
 *   <li>{@link #BARGING}: the throughput mode of HikariCP and commons-pool2. A returned resource is left
 *       idle and the longest waiter is woken to compete for it with running threads, which may take it
 *       first. A waiter may be overtaken again and again, up to its timeout.
 *   <li>{@link #hybrid(Duration) hybrid(starvationThreshold)}: barging with a bounded wait, after the
 *       starvation mode of Go's {@code sync.Mutex}. Running threads may take idle resources while the
 *       longest waiter has waited less than the threshold; once it has waited longer, the pool hands every
 *       resource that becomes available directly to the head of the queue, and newcomers queue behind, until
 *       the queue is empty or the waiter served has waited less than the threshold. A waiter therefore waits
 *       at most about the threshold plus the time the pool takes to serve the waiters ahead of it, while
 *       short waits keep the throughput of barging.
 * </ul>
 *
 * <pre>{@code
 * Pool<Session> pool = Pool.builder(factory).maxSize(8)
 *         .fairness(Fairness.hybrid(Duration.ofMillis(1)))
 *         .build();
 * }</pre>
 *
 * <p>Instances are immutable; {@link #equals} compares mode and threshold.
 */
public final class Fairness {

    /** The default starvation threshold of {@link #hybrid()}: 1 ms, as in Go's {@code sync.Mutex}. */
    public static final Duration DEFAULT_STARVATION_THRESHOLD = Duration.ofMillis(1);

    /** Strict FIFO hand-off: nobody ever overtakes a waiter (the default). */
    public static final Fairness FIFO = new Fairness(Mode.FIFO, Duration.ZERO);

    /** Barging: running threads take idle resources ahead of waiters, with no bound on a waiter's wait. */
    public static final Fairness BARGING = new Fairness(Mode.BARGING, Duration.ZERO);

    private enum Mode {
        FIFO,
        BARGING,
        HYBRID
    }

    private final Mode mode;
    private final Duration starvationThreshold;

    private Fairness(Mode mode, Duration starvationThreshold) {
        this.mode = mode;
        this.starvationThreshold = starvationThreshold;
    }

    /**
     * Barging until the longest waiter has waited {@link #DEFAULT_STARVATION_THRESHOLD} (1 ms), then
     * strict FIFO hand-off until the starvation is over; see {@link #hybrid(Duration)}.
     *
     * @return the hybrid mode with a 1 ms threshold
     */
    public static Fairness hybrid() {
        return hybrid(DEFAULT_STARVATION_THRESHOLD);
    }

    /**
     * Barging while the longest waiter has waited less than {@code starvationThreshold}; strict FIFO
     * hand-off from the moment it has waited longer until the queue is empty or the waiter served has
     * waited less than the threshold. The threshold is checked at {@link PoolBuilder#build()}: it must be
     * more than zero.
     *
     * @param starvationThreshold the longest wait before the pool turns strict FIFO
     * @return the hybrid mode
     */
    public static Fairness hybrid(Duration starvationThreshold) {
        return new Fairness(Mode.HYBRID, Objects.requireNonNull(starvationThreshold, "starvationThreshold"));
    }

    /** Whether this is {@link #FIFO}. */
    boolean fifo() {
        return mode == Mode.FIFO;
    }

    /**
     * The wait after which the hybrid mode turns strict FIFO.
     *
     * @return the threshold, or {@link Duration#ZERO} for {@link #FIFO} and {@link #BARGING}
     */
    public Duration starvationThreshold() {
        return starvationThreshold;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Fairness
                && ((Fairness) o).mode == mode
                && ((Fairness) o).starvationThreshold.equals(starvationThreshold);
    }

    @Override
    public int hashCode() {
        return mode.hashCode() * 31 + starvationThreshold.hashCode();
    }

    /**
     * {@code FIFO}, {@code BARGING} or {@code hybrid(PT0.001S)}.
     *
     * @return the mode, with the threshold for the hybrid mode
     */
    @Override
    public String toString() {
        return mode == Mode.HYBRID ? "hybrid(" + starvationThreshold + ")" : mode.name();
    }
}
