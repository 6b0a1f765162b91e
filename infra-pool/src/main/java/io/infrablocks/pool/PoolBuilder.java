package io.infrablocks.pool;

import io.infrablocks.pool.internal.FairPool;
import io.infrablocks.pool.internal.PoolConfig;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;

/**
 * Configures a {@link Pool}; obtained from {@link Pool#builder(ResourceFactory)}. Every setting is checked
 * at {@link #build()}, which names the setting and the bad value ({@code "maxSize must be > 0 but was
 * 0"}). The built pool's configuration is immutable.
 *
 * <table>
 *   <caption>Settings and defaults</caption>
 *   <tr><th>setting</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code name}</td><td>{@code "pool"}</td><td>in messages, logs, thread names</td></tr>
 *   <tr><td>{@code maxSize}</td><td>10</td><td>most resources that ever exist at once</td></tr>
 *   <tr><td>{@code minIdle}</td><td>0</td><td>idle resources kept ready (created in the background)</td></tr>
 *   <tr><td>{@code acquireTimeout}</td><td>30 s</td><td>longest wait of {@link Pool#acquire()}</td></tr>
 *   <tr><td>{@code maxWaiters}</td><td>unbounded</td><td>wait-queue bound; past it acquire fails at once</td></tr>
 *   <tr><td>{@code validateAfterIdle}</td><td>500 ms</td><td>validate before handing out a resource idle that long</td></tr>
 *   <tr><td>{@code keepalive}</td><td>off</td><td>validate idle resources in the background this often</td></tr>
 *   <tr><td>{@code idleTimeout}</td><td>10 min</td><td>destroy resources idle that long, down to {@code minIdle}</td></tr>
 *   <tr><td>{@code maxLifetime}</td><td>30 min</td><td>retire resources this old, minus a random jitter</td></tr>
 *   <tr><td>{@code maxLifetimeJitter}</td><td>{@code maxLifetime / 40}</td><td>spreads retirements</td></tr>
 *   <tr><td>{@code leakDetectionThreshold}</td><td>off</td><td>log the borrower's stack trace of leases held that long</td></tr>
 *   <tr><td>{@code creationRetryBackoff}</td><td>100 ms to 10 s</td><td>exponential backoff between failed creations</td></tr>
 *   <tr><td>{@code failFast}</td><td>false</td><td>fail acquire at once while creation fails and nothing is idle</td></tr>
 *   <tr><td>{@code fairness}</td><td>{@link Fairness#FIFO}</td><td>strict FIFO hand-off to waiters; {@link
 *       Fairness#BARGING} (throughput mode, also {@code fair(false)}); {@link Fairness#hybrid(Duration)}
 *       (barging with a bounded wait)</td></tr>
 *   <tr><td>{@code closeTimeout}</td><td>10 s</td><td>how long {@link Pool#close()} waits for leases</td></tr>
 *   <tr><td>{@code housekeepingPeriod}</td><td>1 s</td><td>period of idle/lifetime/keepalive/leak checks</td></tr>
 *   <tr><td>{@code clock}</td><td>{@link NanoClock#system()}</td><td>time source for every timeout</td></tr>
 *   <tr><td>{@code threadFactory}</td><td>daemon {@code infra-pool-<name>-<n>}</td><td>the pool's background threads</td></tr>
 *   <tr><td>{@code listener}</td><td>{@link PoolListener#NO_OP}</td><td>events for a metrics system</td></tr>
 * </table>
 *
 * <p>A duration of zero turns off {@code keepalive}, {@code idleTimeout}, {@code maxLifetime} and {@code
 * leakDetectionThreshold}; a zero {@code validateAfterIdle} validates on every acquire.
 *
 * @param <T> the resource type
 */
public final class PoolBuilder<T> {

    private final ResourceFactory<T> factory;
    private String name = "pool";
    private int maxSize = 10;
    private int minIdle = 0;
    private Duration acquireTimeout = Duration.ofSeconds(30);
    private int maxWaiters = Integer.MAX_VALUE;
    private Duration validateAfterIdle = Duration.ofMillis(500);
    private Duration keepalive = Duration.ZERO;
    private Duration idleTimeout = Duration.ofMinutes(10);
    private Duration maxLifetime = Duration.ofMinutes(30);
    private Duration maxLifetimeJitter;
    private Duration leakDetectionThreshold = Duration.ZERO;
    private Duration retryInitial = Duration.ofMillis(100);
    private Duration retryMax = Duration.ofSeconds(10);
    private boolean failFast = false;
    private Fairness fairness = Fairness.FIFO;
    private Duration closeTimeout = Duration.ofSeconds(10);
    private Duration housekeepingPeriod = Duration.ofSeconds(1);
    private NanoClock clock = NanoClock.system();
    private ThreadFactory threadFactory;
    private PoolListener listener = PoolListener.NO_OP;

    PoolBuilder(ResourceFactory<T> factory) {
        this.factory = Objects.requireNonNull(factory, "factory");
    }

    /**
     * Names the pool.
     *
     * @param name a short name, e.g. {@code "orders"}
     * @return this builder
     */
    public PoolBuilder<T> name(String name) {
        this.name = Objects.requireNonNull(name, "name");
        return this;
    }

    /**
     * The most resources that exist at once (leased plus idle).
     *
     * @param maxSize at least 1
     * @return this builder
     */
    public PoolBuilder<T> maxSize(int maxSize) {
        this.maxSize = maxSize;
        return this;
    }

    /**
     * Idle resources kept ready; the pool creates them in the background.
     *
     * @param minIdle between 0 and {@code maxSize}
     * @return this builder
     */
    public PoolBuilder<T> minIdle(int minIdle) {
        this.minIdle = minIdle;
        return this;
    }

    /**
     * The longest wait of {@link Pool#acquire()}.
     *
     * @param timeout zero or more
     * @return this builder
     */
    public PoolBuilder<T> acquireTimeout(Duration timeout) {
        this.acquireTimeout = Objects.requireNonNull(timeout, "timeout");
        return this;
    }

    /**
     * Bounds the wait queue: an acquire arriving when this many callers wait fails at once.
     *
     * @param maxWaiters zero or more
     * @return this builder
     */
    public PoolBuilder<T> maxWaiters(int maxWaiters) {
        this.maxWaiters = maxWaiters;
        return this;
    }

    /**
     * Validates a resource before handing it out when it has been idle (unused and unchecked) longer than
     * this.
     *
     * @param idle zero (always validate) or more
     * @return this builder
     */
    public PoolBuilder<T> validateAfterIdle(Duration idle) {
        this.validateAfterIdle = Objects.requireNonNull(idle, "idle");
        return this;
    }

    /**
     * Validates idle resources in the background when unused this long, so firewalls keep their sessions
     * and dead ones are replaced before anyone asks.
     *
     * @param interval zero (off) or more
     * @return this builder
     */
    public PoolBuilder<T> keepalive(Duration interval) {
        this.keepalive = Objects.requireNonNull(interval, "interval");
        return this;
    }

    /**
     * Destroys resources idle this long, down to {@code minIdle}.
     *
     * @param timeout zero (never) or more
     * @return this builder
     */
    public PoolBuilder<T> idleTimeout(Duration timeout) {
        this.idleTimeout = Objects.requireNonNull(timeout, "timeout");
        return this;
    }

    /**
     * Retires resources this old (idle ones at once, leased ones when returned).
     *
     * @param lifetime zero (unlimited) or more
     * @return this builder
     */
    public PoolBuilder<T> maxLifetime(Duration lifetime) {
        this.maxLifetime = Objects.requireNonNull(lifetime, "lifetime");
        return this;
    }

    /**
     * Each resource's lifetime is shortened by a random amount up to this, so resources created together
     * are not all retired together.
     *
     * @param jitter zero or more, less than {@code maxLifetime}
     * @return this builder
     */
    public PoolBuilder<T> maxLifetimeJitter(Duration jitter) {
        this.maxLifetimeJitter = Objects.requireNonNull(jitter, "jitter");
        return this;
    }

    /**
     * Logs at WARN, with the borrower's stack trace, a lease held longer than this, and counts it in
     * {@link PoolMetrics#leaks()}. Capturing the stack trace costs a few microseconds per acquire.
     *
     * @param threshold zero (off) or more
     * @return this builder
     */
    public PoolBuilder<T> leakDetectionThreshold(Duration threshold) {
        this.leakDetectionThreshold = Objects.requireNonNull(threshold, "threshold");
        return this;
    }

    /**
     * Backoff between failed creation attempts: starts at {@code initial}, doubles up to {@code max}.
     *
     * @param initial more than zero
     * @param max at least {@code initial}
     * @return this builder
     */
    public PoolBuilder<T> creationRetryBackoff(Duration initial, Duration max) {
        this.retryInitial = Objects.requireNonNull(initial, "initial");
        this.retryMax = Objects.requireNonNull(max, "max");
        return this;
    }

    /**
     * When on, an acquire that finds nothing idle while creation is failing (the database is down) fails
     * at once with {@link ResourceCreationException} carrying the last creation error, and waiters are
     * failed the same way, instead of waiting for the timeout.
     *
     * @param failFast true to fail fast
     * @return this builder
     */
    public PoolBuilder<T> failFast(boolean failFast) {
        this.failFast = failFast;
        return this;
    }

    /**
     * Chooses between fairness and throughput when callers wait: {@code true} (the default) is {@link
     * Fairness#FIFO}, {@code false} is {@link Fairness#BARGING}. {@code true}: strict FIFO hand-off, a caller
     * that arrives while others wait never gets a resource ahead of them, and every resource that becomes
     * available goes to the one that has waited longest. {@code false}: barging, the throughput mode of
     * HikariCP and commons-pool2: a returned resource is left idle and the longest waiter is woken to compete
     * for it with running threads, so a running thread (often the one that just returned it) may take it
     * first. On a machine with fewer CPUs than borrowing threads, barging avoids a context switch per
     * hand-off (several times the throughput) at the price of occasional long waits: a waiter can be
     * overtaken many times in a row, up to its timeout. Waiters are still woken in arrival order. For
     * barging with a bound on the wait, see {@link #fairness(Fairness)} with {@link
     * Fairness#hybrid(Duration)}. The last call of {@code fair} or {@code fairness} wins.
     *
     * @param fair true for strict FIFO (the default), false for barging
     * @return this builder
     */
    public PoolBuilder<T> fair(boolean fair) {
        this.fairness = fair ? Fairness.FIFO : Fairness.BARGING;
        return this;
    }

    /**
     * Chooses how waiting callers share resources: {@link Fairness#FIFO} (the default, strict FIFO
     * hand-off), {@link Fairness#BARGING} (throughput, no bound on a waiter's wait) or {@link
     * Fairness#hybrid(Duration)}: barging while the longest waiter has waited less than the starvation
     * threshold, strict FIFO hand-off once it has waited longer (after Go's {@code sync.Mutex} starvation
     * mode), so that no waiter waits much longer than the threshold plus the time to serve the waiters
     * ahead of it. The hybrid threshold must be more than zero (checked at {@link #build()}). The last call
     * of {@code fair} or {@code fairness} wins.
     *
     * @param fairness the mode
     * @return this builder
     */
    public PoolBuilder<T> fairness(Fairness fairness) {
        this.fairness = Objects.requireNonNull(fairness, "fairness");
        return this;
    }

    /**
     * How long {@link Pool#close()} waits for outstanding leases.
     *
     * @param timeout zero or more
     * @return this builder
     */
    public PoolBuilder<T> closeTimeout(Duration timeout) {
        this.closeTimeout = Objects.requireNonNull(timeout, "timeout");
        return this;
    }

    /**
     * How often the background housekeeping (idle timeout, lifetime, keepalive, leak detection, refill)
     * runs.
     *
     * @param period more than zero
     * @return this builder
     */
    public PoolBuilder<T> housekeepingPeriod(Duration period) {
        this.housekeepingPeriod = Objects.requireNonNull(period, "period");
        return this;
    }

    /**
     * The time source for every timeout and expiry.
     *
     * @param clock a monotonic nanosecond clock
     * @return this builder
     */
    public PoolBuilder<T> clock(NanoClock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return this;
    }

    /**
     * Creates the pool's background threads (creation, housekeeping).
     *
     * @param threadFactory the factory; the default makes daemon threads {@code infra-pool-<name>-<n>}
     * @return this builder
     */
    public PoolBuilder<T> threadFactory(ThreadFactory threadFactory) {
        this.threadFactory = Objects.requireNonNull(threadFactory, "threadFactory");
        return this;
    }

    /**
     * Receives the pool's events.
     *
     * @param listener the listener
     * @return this builder
     */
    public PoolBuilder<T> listener(PoolListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /**
     * Checks the settings and starts the pool (its background threads begin creating {@code minIdle}
     * resources).
     *
     * @return the pool
     * @throws IllegalArgumentException naming the first bad setting and its value
     */
    public Pool<T> build() {
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank but was '" + name + "'");
        }
        check(maxSize > 0, "maxSize must be > 0 but was " + maxSize);
        check(minIdle >= 0, "minIdle must be >= 0 but was " + minIdle);
        check(minIdle <= maxSize, "minIdle must be <= maxSize (" + maxSize + ") but was " + minIdle);
        check(maxWaiters >= 0, "maxWaiters must be >= 0 but was " + maxWaiters);
        nonNegative("acquireTimeout", acquireTimeout);
        nonNegative("validateAfterIdle", validateAfterIdle);
        nonNegative("keepalive", keepalive);
        nonNegative("idleTimeout", idleTimeout);
        nonNegative("maxLifetime", maxLifetime);
        nonNegative("leakDetectionThreshold", leakDetectionThreshold);
        nonNegative("closeTimeout", closeTimeout);
        positive("creationRetryBackoff initial", retryInitial);
        check(
                retryMax.compareTo(retryInitial) >= 0,
                "creationRetryBackoff max must be >= initial (" + retryInitial + ") but was " + retryMax);
        positive("housekeepingPeriod", housekeepingPeriod);
        check(
                fairness.fifo()
                        || fairness.equals(Fairness.BARGING)
                        || positiveDuration(fairness.starvationThreshold()),
                "fairness starvationThreshold must be > 0 but was " + fairness.starvationThreshold());
        Duration jitter = maxLifetimeJitter != null ? maxLifetimeJitter : maxLifetime.dividedBy(40);
        nonNegative("maxLifetimeJitter", jitter);
        check(
                maxLifetime.isZero() || jitter.compareTo(maxLifetime) < 0,
                "maxLifetimeJitter must be < maxLifetime (" + maxLifetime + ") but was " + jitter);
        return FairPool.start(new PoolConfig<>(
                factory,
                name,
                maxSize,
                minIdle,
                acquireTimeout.toNanos(),
                maxWaiters,
                validateAfterIdle.toNanos(),
                keepalive.toNanos(),
                idleTimeout.toNanos(),
                maxLifetime.toNanos(),
                jitter.toNanos(),
                leakDetectionThreshold.toNanos(),
                retryInitial.toNanos(),
                retryMax.toNanos(),
                failFast,
                fairness,
                closeTimeout.toNanos(),
                housekeepingPeriod.toNanos(),
                clock,
                clock == NanoClock.system(),
                threadFactory,
                listener));
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    private static void nonNegative(String setting, Duration value) {
        check(!value.isNegative(), setting + " must be >= 0 but was " + value);
    }

    private static void positive(String setting, Duration value) {
        check(positiveDuration(value), setting + " must be > 0 but was " + value);
    }

    private static boolean positiveDuration(Duration value) {
        return !value.isNegative() && !value.isZero();
    }
}
