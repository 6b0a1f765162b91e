package io.infrablocks.lb.internal;

import io.infrablocks.lb.Endpoint;
import io.infrablocks.lb.EndpointStats;
import io.infrablocks.lb.EndpointStatus;
import io.infrablocks.lb.LoadBalancer;
import io.infrablocks.lb.LoadBalancerListener;
import io.infrablocks.lb.LoadBalancerStats;
import io.infrablocks.lb.NoAvailableEndpointException;
import io.infrablocks.lb.OutlierDetection;
import io.infrablocks.lb.Request;
import io.infrablocks.lb.Selection;
import io.infrablocks.lb.Strategy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The load balancer.
 *
 * <p><b>Design.</b> Membership is copy-on-write: every add, remove or re-weight builds a new snapshot, the
 * strategy's {@link Picker} (members array + the strategy's tables), under {@code writeLock} and publishes it
 * with one volatile write to {@code snapshot}; {@link #pick} reads that field once and never takes a lock,
 * so membership changes never block picks (a pick on the previous snapshot sees removed members flagged
 * {@code REMOVED} and skips them). Health is not part of the snapshot: each {@link Member} has a status
 * bit set (draining, ejected, down, slow start, removed) changed by CAS; 0 means healthy, so the hot
 * path reads one int per candidate and only a non-zero status takes the slow path ({@link #admitSlow}),
 * which also ends expired ejections lazily (no timer thread for passive health).
 *
 * <p><b>Hot path</b> ({@code pick} then {@code success/failure/release}): one volatile read of the
 * snapshot, the picker (see each picker's comment), one atomic add on the member's in-flight count (on the
 * calling thread's {@link Stripes stripe} for most strategies, see {@link Member}), one re-read of its
 * status (a member that started draining after being chosen is backed out: draining sets the bit then reads
 * in-flight, a pick adds in-flight then reads the bit, and the atomic add is a full fence, so either the
 * pick backs out or {@link #awaitDrained} sees the call; for an {@link Picker#unchecked} picker, which read
 * no status before, any status but 0 backs out and picks again checked), and at completion one store on the
 * picking stripe's counters (a plain read and release store for the stripe's owner thread, an atomic subtract
 * otherwise). The returned {@link Selection} is the member's preallocated
 * {@link Member.Handle} for the picking stripe, which also holds that stripe's counters: no allocation, and
 * the completion, on whatever thread, is credited to the stripe that picked. The clock is read at completion by the
 * EWMA strategies (through {@link CoarseClock}, a reading cached to about a millisecond, when the clock is the
 * system's; their picks compare two stamps instead), by sticky sessions, and on slow paths. {@link #awaitDrained}
 * measures its timeout on the same clock and re-checks at least every {@link #DRAIN_POLL_NANOS} of real time.
 *
 * <p><b>Other state.</b> {@code writeLock} guards {@code byId} and snapshot publication. {@code ejectLock}
 * serializes ejections so the max-ejection-percent cap holds. {@code panic} is recomputed after every
 * health change by whoever wins {@code panicLock} (tryLock plus a dirty flag, so no caller ever waits for
 * it). {@code drainLock}/{@code drained} wake {@link #awaitDrained} when a draining member's in-flight
 * count reaches zero. Complexity: pick as the strategy; membership change O(n + table build).
 */
public final class DefaultLoadBalancer implements LoadBalancer {

    private static final Logger log = LoggerFactory.getLogger(DefaultLoadBalancer.class);

    /** The longest real-time wait in {@link #awaitDrained} before it re-reads the clock: 10 ms. */
    static final long DRAIN_POLL_NANOS = 10_000_000L;

    private final String name;
    private final Strategy strategy;
    private final PickerFactory factory;
    private final LongSupplier clock;
    /**
     * The clock of peak-EWMA decay ({@link #ewmaNow}): cached system time, or {@code clock} read directly ({@link
     * CoarseClock#direct}). Each handle keeps a reference for its completion.
     */
    final CoarseClock ewmaClock;

    private final RandomGenerator random;
    /**
     * P2C without a given generator: each stripe's cursor into the picker's deck of candidate pairs ({@code
     * LoadPickers.Ahead}), here rather than in the picker so the pick reaches it one load earlier and it survives
     * rebuilds. Null otherwise.
     */
    final int[] ahead;

    private final LoadBalancerListener listener;
    final long ewmaDecayNanos;
    /** {@code 1 / ewmaDecayNanos}: the P2C pick multiplies by it rather than divide (a division is ~13 cycles). */
    final double ewmaDecayRate;

    private final boolean trackLatency;
    /** Whether a success only counts the completion (no latency tracking, no failure-rate window). */
    private final boolean plainSuccess;
    /**
     * Whether a success only feeds its stripe's latency estimate and counts the completion (P2C peak EWMA,
     * no failure-rate window).
     */
    private final boolean stripeCostSuccess;
    /** Whether completions feed the failure-rate window ({@code failureRate > 0}). */
    private final boolean recordsRate;
    /**
     * Whether members count in-flight calls in per-thread stripes (see {@link Member}); strategies that
     * compare global counts (least-connections and least response time scans, bounded loads) keep one exact
     * counter.
     */
    private final boolean striped;
    /**
     * Whether each stripe keeps its own latency estimates (P2C: each stripe balances as an independent
     * client on its own counts and estimates, see {@link Member}).
     */
    private final boolean stripeCosts;

    private final int consecutiveFailures;
    private final double failureRate;
    private final int failureRateMinimum;
    private final long failureRateWindowNanos;
    private final long baseEjectionNanos;
    private final long maxEjectionNanos;
    private final int maxEjectionPercent;
    private final double panicThreshold;
    private final long slowStartNanos;
    private final StickyTable sticky;
    private final HealthChecker checker;

    /** The current membership snapshot with the strategy's tables for it ({@link Picker.Closed} once closed). */
    private volatile Picker snapshot;

    private volatile boolean panic;

    private final ReentrantLock writeLock = new ReentrantLock();
    private final LinkedHashMap<String, Member> byId = new LinkedHashMap<>();
    private final ReentrantLock ejectLock = new ReentrantLock();
    private final ReentrantLock panicLock = new ReentrantLock();
    private final AtomicBoolean panicDirty = new AtomicBoolean();
    private final ReentrantLock drainLock = new ReentrantLock();
    private final Condition drained = drainLock.newCondition();
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Builds the balancer from validated settings; use {@code LoadBalancer.builder()}.
     *
     * @param config the settings
     */
    public DefaultLoadBalancer(LbConfig config) {
        this.name = config.name();
        this.strategy = config.strategy();
        this.factory = factory(config);
        this.clock = config.clock();
        this.random = config.random();
        // a given generator (reproducible runs) keeps P2C drawing at the pick
        this.ahead = random == null && config.strategyName().startsWith("p2c-") ? LoadPickers.Ahead.newCursors() : null;
        this.listener = config.listener();
        this.ewmaDecayNanos = config.ewmaDecayNanos();
        this.ewmaDecayRate = 1.0 / ewmaDecayNanos;
        this.trackLatency = config.strategyName().equals("least-response-time")
                || config.strategyName().equals("p2c-ewma");
        String sn = config.strategyName();
        this.striped =
                !(sn.equals("least-connections") || sn.equals("least-response-time") || sn.equals("bounded-load"));
        this.stripeCosts = sn.startsWith("p2c");
        OutlierDetection od = config.outlierDetection();
        this.consecutiveFailures = od.consecutiveFailures();
        this.failureRate = od.failureRateThreshold();
        this.failureRateMinimum = od.failureRateMinimumRequests();
        this.failureRateWindowNanos = od.failureRateWindow().toNanos();
        this.baseEjectionNanos = od.baseEjectionTime().toNanos();
        this.maxEjectionNanos = od.maxEjectionTime().toNanos();
        this.maxEjectionPercent = od.maxEjectionPercent();
        this.panicThreshold = config.panicThreshold();
        this.slowStartNanos = config.slowStartNanos();
        this.recordsRate = failureRate > 0;
        this.plainSuccess = !trackLatency && !recordsRate;
        this.stripeCostSuccess = trackLatency && striped && stripeCosts && !recordsRate;
        this.ewmaClock = trackLatency && clock == LbConfig.SYSTEM_CLOCK
                ? CoarseClock.system(config.threadFactory())
                : CoarseClock.direct(clock);
        this.sticky = config.stickyMaxEntries() > 0
                ? new StickyTable(config.stickyMaxEntries(), config.stickyTtlNanos())
                : null;
        for (Endpoint e : config.endpoints()) {
            byId.put(e.id(), new Member(this, e, striped, stripeCosts));
        }
        writeLock.lock();
        try {
            publish();
        } finally {
            writeLock.unlock();
        }
        if (config.healthCheck() != null) {
            checker = new HealthChecker(this, config.healthCheck(), config.threadFactory());
            for (Member m : snapshot.members) {
                checker.schedule(m);
            }
        } else {
            checker = null;
        }
        log.info(
                "load balancer '{}' started: {} endpoints, strategy {}, health check {}, outlier detection {}",
                name,
                byId.size(),
                strategy,
                config.healthCheck(),
                od);
    }

    static PickerFactory factory(LbConfig c) {
        return factory(c.strategyName(), c.strategySize(), c.loadFactor(), c.baseName(), c.baseSize());
    }

    private static PickerFactory factory(String name, int size, double loadFactor, String baseName, int baseSize) {
        switch (name) {
            case "round-robin":
                return SequencePickers.roundRobin();
            case "weighted-round-robin":
                return SequencePickers.smoothWeighted();
            case "random":
                return RandomPickers.uniform();
            case "weighted-random":
                return RandomPickers.weighted();
            case "least-connections":
                return LoadPickers.leastConnections();
            case "least-response-time":
                return LoadPickers.leastResponseTime();
            case "p2c-least-connections":
                return LoadPickers.p2c(false);
            case "p2c-ewma":
                return LoadPickers.p2c(true);
            case "key-hash":
                return HashPickers.modulo();
            case "ring-hash":
                return HashPickers.ring(size);
            case "maglev":
                return HashPickers.maglev(size);
            case "rendezvous":
                return HashPickers.rendezvous();
            case "jump":
                return HashPickers.jump();
            case "bounded-load":
                return HashPickers.boundedLoad(factory(baseName, baseSize, 0, null, 0), loadFactor);
            default:
                throw new IllegalArgumentException("unknown strategy " + name);
        }
    }

    // ---------------------------------------------------------------- pick

    @Override
    public Selection pick(Request request) {
        Objects.requireNonNull(request, "request");
        Picker p = snapshot;
        // open, no sticky table: the usual case, one load and a compare to the pick itself
        switch (p.route) {
            case Picker.ROUTE_KEYLESS_UNCHECKED:
                return selectUnchecked(p, 0, Stripes.current());
            case Picker.ROUTE_HASHED_UNCHECKED:
                return selectUnchecked(p, hashOf(request), Stripes.current());
            case Picker.ROUTE_KEYLESS:
                return selectCounting(p, 0, Stripes.current());
            case Picker.ROUTE_HASHED:
                return selectCounting(p, hashOf(request), Stripes.current());
            default:
                break;
        }
        if (p.closed) {
            throw new IllegalStateException("load balancer '" + name + "' is closed");
        }
        if (sticky != null) {
            String key = request.key();
            if (key != null) {
                return stickyPick(p, request, key);
            }
        }
        return select(p, hashFor(p, request), Stripes.current());
    }

    /** The hash a picker gets: the request's, a random one for a keyless request, or 0 if it reads none. */
    private long hashFor(Picker p, Request request) {
        return p.usesHash ? hashOf(request) : 0;
    }

    /** The request's hash, or a random one for a keyless request. */
    private long hashOf(Request request) {
        return request.hashed() ? request.hash() : nextLong();
    }

    private Member.Handle select(Picker p, long hash, int stripe) {
        return p.unchecked ? selectUnchecked(p, hash, stripe) : selectCounting(p, hash, stripe);
    }

    /**
     * {@link #select} for an {@link Picker#unchecked} picker. The status is re-read after the count (the atomic
     * add's fence): a member that started draining since the pick read its status either sees this call counted
     * or is refused here.
     */
    private Member.Handle selectUnchecked(Picker p, long hash, int stripe) {
        Member.Handle h = p.pickHandle(this, hash, stripe);
        if (h != null) {
            h.acquireStriped(); // an unchecked picker never reserves the unit itself, its members are striped
            if (h.member.status == 0) {
                return h;
            }
            // every pick whose key or pair lands on a refused member comes here while it stays refused, so no
            // drain signal (a lock): awaitDrained re-reads the count every DRAIN_POLL_NANOS anyway
            h.uncount();
        }
        return selectChecked(p, hash, stripe);
    }

    /** {@link #select} for a picker that checks health itself; the status is re-read after the count too. */
    private Member.Handle selectCounting(Picker p, long hash, int stripe) {
        Member.Handle h = p.pickHandle(this, hash, stripe);
        if (h != null) {
            if (!p.acquires) {
                h.acquire();
            }
            if ((h.member.status & (Member.DRAINING | Member.REMOVED)) == 0) {
                return h;
            }
            backOut(h);
        }
        return selectChecked(p, hash, stripe);
    }

    /**
     * {@link #select} once the first candidate was refused (or none was found): picks again with health checked
     * before the count ({@link Picker#pickHandleChecked}), up to 64 more times while the chosen member starts
     * draining or leaves between the pick and the count.
     */
    private Member.Handle selectChecked(Picker p, long hash, int stripe) {
        for (int attempt = 0; ; attempt++) {
            Member.Handle h = p.pickHandleChecked(this, hash, stripe);
            if (h == null) {
                throw noAvailable(p);
            }
            Member m = h.member;
            if (!p.acquires) {
                h.acquire();
            }
            if ((m.status & (Member.DRAINING | Member.REMOVED)) == 0) {
                return h;
            }
            backOut(h);
            if (attempt == 64) {
                throw noAvailable(p);
            }
        }
    }

    private Selection stickyPick(Picker p, Request request, String key) {
        long now = now();
        int stripe = Stripes.current();
        StickyTable.Binding b = sticky.get(key);
        if (b != null && now - b.expiresAt < 0) {
            Member old = b.member;
            if (usable(old)) {
                Member.Handle h = old.handle(stripe);
                h.acquire();
                if ((old.status & (Member.DRAINING | Member.REMOVED)) == 0) {
                    b.expiresAt = now + sticky.ttlNanos;
                    return h;
                }
                backOut(h);
            }
            Member.Handle h = select(p, request.hash(), stripe);
            Member m = h.member;
            b.member = m;
            b.expiresAt = now + sticky.ttlNanos;
            if (m == old) {
                return h;
            }
            listener.onRebound(key, old.endpoint, m.endpoint);
            return m.rebound(stripe);
        }
        Member.Handle h = select(p, request.hash(), stripe);
        sticky.put(key, h.member, now + sticky.ttlNanos);
        return h;
    }

    /** Whether a member may take a call now; slow start refuses it with probability 1 - ramp. */
    boolean admit(Member m) {
        return m.status == 0 || admitSlow(m, true);
    }

    /** Whether a member may take a call now, ignoring slow start (callers weigh it with {@link #weightOf}). */
    boolean usable(Member m) {
        return m.status == 0 || admitSlow(m, false);
    }

    private boolean admitSlow(Member m, boolean slowStartSkip) {
        int st = m.status;
        if ((st & (Member.DRAINING | Member.REMOVED)) != 0) {
            return false;
        }
        if ((st & Member.EJECTED) != 0) {
            long now = now();
            if (now - m.ejectedUntil < 0) {
                return panic;
            }
            restore(m, now);
            st = m.status;
        }
        if ((st & (Member.DOWN | Member.EJECTED)) != 0) {
            return panic;
        }
        if ((st & Member.SLOW_START) != 0 && slowStartSkip) {
            double f = slowStartFactor(m);
            return f >= 1 || nextDouble() < f;
        }
        return true;
    }

    /** The member's weight times its slow-start ramp. */
    double weightOf(Member m) {
        int w = m.weight;
        return (m.status & Member.SLOW_START) == 0 ? w : w * slowStartFactor(m);
    }

    private double slowStartFactor(Member m) {
        if (slowStartNanos <= 0) {
            m.clearBits(Member.SLOW_START);
            return 1;
        }
        long elapsed = now() - m.slowStartBegin;
        if (elapsed >= slowStartNanos) {
            m.clearBits(Member.SLOW_START);
            return 1;
        }
        return Math.max(0.1, elapsed / (double) slowStartNanos);
    }

    long now() {
        return clock.getAsLong();
    }

    /** The time for peak-EWMA decay: {@link #now()}, or the system time cached to about a millisecond. */
    long ewmaNow() {
        return ewmaClock.now();
    }

    int nextInt(int bound) {
        RandomGenerator r = random;
        return r == null ? ThreadLocalRandom.current().nextInt(bound) : r.nextInt(bound);
    }

    long nextLong() {
        RandomGenerator r = random;
        return r == null ? ThreadLocalRandom.current().nextLong() : r.nextLong();
    }

    double nextDouble() {
        RandomGenerator r = random;
        return r == null ? ThreadLocalRandom.current().nextDouble() : r.nextDouble();
    }

    // ---------------------------------------------------------------- completion

    private static void checkLatency(long latencyNanos) {
        if (latencyNanos < 0) {
            throw new IllegalArgumentException("latencyNanos must be >= 0 but was " + latencyNanos);
        }
    }

    /**
     * Whether a success on {@code m} needs nothing more than its count (and estimate): no failure streak to reset,
     * not draining. One test for the usual case.
     */
    private static boolean quiet(Member m) {
        return (m.consecutiveFailures | (m.status & Member.DRAINING)) == 0;
    }

    /** The handle of member {@code m} for stripe {@code s}, of the class of this balancer's usual success. */
    Member.Handle newHandle(Member m, int s, boolean exact) {
        if (plainSuccess) {
            return new Member.PlainHandle(m, s, exact);
        }
        if (stripeCostSuccess) {
            return new Member.StripeCostHandle(m, s, exact);
        }
        return new Member.Handle(m, s, exact);
    }

    /**
     * {@link #complete} of a success when {@link #plainSuccess}. Static, as {@link #succeedStripeCost}: the usual case
     * reads nothing of the balancer, whose fields the slow paths reach through the handle.
     */
    static void succeedPlain(Member.Handle h, long latencyNanos) {
        checkLatency(latencyNanos);
        Member m = h.member;
        decrement(h);
        if (!quiet(m)) {
            h.lb.successSlow(m);
        }
    }

    /**
     * {@link #complete} of a success when {@link #stripeCostSuccess}. The usual case is an estimate updated at this
     * tick and a sample within it, which changes nothing: it compares the stamp with the clock's {@link
     * CoarseClock#settled} through the handle's reference to the clock, and reads nothing of the balancer.
     */
    static void succeedStripeCost(Member.Handle h, long latencyNanos) {
        checkLatency(latencyNanos);
        Member m = h.member;
        decrement(h);
        if (h.costStamp != h.clock.settled() || latencyNanos > h.cost) {
            h.observe(h.clock.now(), latencyNanos);
        }
        if (!quiet(m)) {
            h.lb.successSlow(m);
        }
    }

    void complete(Member.Handle h, boolean ok, long latencyNanos) {
        checkLatency(latencyNanos);
        Member m = h.member;
        decrement(h);
        // a success comes here only when neither plainSuccess nor stripeCostSuccess (see newHandle)
        if (trackLatency) {
            long now = ewmaNow();
            if (m.stripeCosts) {
                h.observe(now, ok ? latencyNanos : Math.max(latencyNanos, (long) h.cost));
            } else {
                m.observe(now, ok ? latencyNanos : Math.max(latencyNanos, (long) m.cost));
            }
        }
        if (ok) {
            if (!quiet(m) || recordsRate) {
                successSlow(m);
            }
            return;
        }
        onFailure(m);
        if ((m.status & Member.DRAINING) != 0) {
            drainProgress(m);
        }
    }

    private void successSlow(Member m) {
        if (m.consecutiveFailures != 0) {
            m.consecutiveFailures = 0;
        }
        if (recordsRate) {
            recordRate(m, false);
        }
        if ((m.status & Member.DRAINING) != 0) {
            drainProgress(m);
        }
    }

    void release(Member.Handle h) {
        Member m = h.member;
        decrement(h);
        if ((m.status & Member.DRAINING) != 0) {
            drainProgress(m);
        }
    }

    private static void decrement(Member.Handle h) {
        if (!h.releaseChecked()) {
            Member m = h.member;
            throw new IllegalStateException("endpoint '" + m.id + "' of load balancer '" + h.lb.name
                    + "' has no call in flight: a selection was completed more times than it was picked");
        }
    }

    private void backOut(Member.Handle h) {
        h.uncount();
        Member m = h.member;
        if ((m.status & Member.DRAINING) != 0) {
            drainProgress(m);
        }
    }

    private void drainProgress(Member m) {
        if (m.inFlight() <= 0) {
            signalDrained();
        }
    }

    private void onFailure(Member m) {
        Member.FAILURES.getAndAdd(m, 1L);
        if (consecutiveFailures > 0) {
            int c = (int) Member.CONSECUTIVE_FAILURES.getAndAdd(m, 1) + 1;
            if (c >= consecutiveFailures) {
                tryEject(m, c + " consecutive failures");
            }
        }
        if (recordsRate) {
            recordRate(m, true);
        }
    }

    private void recordRate(Member m, boolean failed) {
        double rate = m.recordWindow(now(), failed, failureRateWindowNanos, failureRateMinimum);
        if (rate >= failureRate) {
            tryEject(m, String.format("failure rate %.1f%% >= %.1f%%", rate * 100, failureRate * 100));
        }
    }

    private void tryEject(Member m, String reason) {
        long duration;
        int times;
        ejectLock.lock();
        try {
            if ((m.status & (Member.EJECTED | Member.REMOVED)) != 0) {
                return;
            }
            long now = now();
            int total = 0;
            int ejected = 0;
            for (Member x : snapshot.members) {
                if ((x.status & Member.REMOVED) != 0) {
                    continue;
                }
                total++;
                if ((x.status & Member.EJECTED) != 0 && now - x.ejectedUntil < 0) {
                    ejected++;
                }
            }
            int allowed = Math.max(1, total * maxEjectionPercent / 100);
            if (ejected >= allowed) {
                m.consecutiveFailures = 0;
                log.debug(
                        "load balancer '{}' did not eject {} ({}): {} of {} endpoints ejected, cap {}%",
                        name, m.endpoint, reason, ejected, total, maxEjectionPercent);
                return;
            }
            times = ejections(m, now) + 1;
            m.ejections = times;
            duration = baseEjectionNanos > maxEjectionNanos / times ? maxEjectionNanos : baseEjectionNanos * times;
            m.ejectedUntil = now + duration;
            m.setBits(Member.EJECTED);
            m.consecutiveFailures = 0;
            m.resetWindow(now);
        } finally {
            ejectLock.unlock();
        }
        log.warn(
                "load balancer '{}' ejected {} for {} ms after {} (ejection #{})",
                name,
                m.endpoint,
                duration / 1_000_000,
                reason,
                times);
        healthChanged();
        listener.onEjected(m.endpoint, Duration.ofNanos(duration), reason);
    }

    /**
     * The member's ejection count after decay: as Envoy's outlier detector lowers a host's ejection
     * multiplier for every interval it stays healthy, the count drops by one for every whole {@code
     * baseEjectionTime} since the last ejection ended (computed lazily from the injectable clock, no timer),
     * so an endpoint that failed once long ago is not ejected for the maximum time at its next failure.
     */
    private int ejections(Member m, long now) {
        int e = m.ejections;
        long healthy = now - m.ejectedUntil;
        if (e == 0 || healthy <= 0 || baseEjectionNanos <= 0) {
            return e;
        }
        return (int) Math.max(0, e - healthy / baseEjectionNanos);
    }

    private void restore(Member m, long now) {
        if (slowStartNanos > 0) {
            m.slowStartBegin = now;
            m.setBits(Member.SLOW_START);
        }
        if (m.clearBits(Member.EJECTED)) {
            m.consecutiveFailures = 0;
            log.info("load balancer '{}' restored {} after its ejection", name, m.endpoint);
            healthChanged();
            listener.onRestored(m.endpoint);
        }
    }

    void onProbe(Member m, boolean ok, int rise, int fall) {
        if (ok) {
            m.checkFailures = 0;
            if ((m.status & Member.DOWN) == 0) {
                m.checkSuccesses = 0;
                return;
            }
            if (++m.checkSuccesses >= rise) {
                m.checkSuccesses = 0;
                if (slowStartNanos > 0) {
                    m.slowStartBegin = now();
                    m.setBits(Member.SLOW_START);
                }
                if (m.clearBits(Member.DOWN)) {
                    log.info("load balancer '{}': {} is up ({} checks passed)", name, m.endpoint, rise);
                    healthChanged();
                    listener.onHealthChanged(m.endpoint, true);
                }
            }
        } else {
            m.checkSuccesses = 0;
            if ((m.status & Member.DOWN) != 0) {
                m.checkFailures = 0;
                return;
            }
            if (++m.checkFailures >= fall) {
                m.checkFailures = 0;
                if (m.setBits(Member.DOWN)) {
                    log.warn("load balancer '{}': {} is down ({} checks failed)", name, m.endpoint, fall);
                    healthChanged();
                    listener.onHealthChanged(m.endpoint, false);
                }
            }
        }
    }

    private void healthChanged() {
        panicDirty.set(true);
        while (panicDirty.get() && panicLock.tryLock()) {
            try {
                panicDirty.set(false);
                recomputePanic();
            } finally {
                panicLock.unlock();
            }
        }
    }

    private void recomputePanic() {
        long now = now();
        int total = 0;
        int healthy = 0;
        for (Member m : snapshot.members) {
            int st = m.status;
            if ((st & (Member.DRAINING | Member.REMOVED)) != 0) {
                continue;
            }
            total++;
            boolean ejected = (st & Member.EJECTED) != 0 && now - m.ejectedUntil < 0;
            if (!ejected && (st & Member.DOWN) == 0) {
                healthy++;
            }
        }
        boolean p = total > 0 && healthy < panicThreshold * total;
        if (p != panic) {
            panic = p;
            if (p) {
                log.warn(
                        "load balancer '{}' in panic mode: {} of {} endpoints healthy (< {}%), picking all",
                        name, healthy, total, panicThreshold * 100);
            } else {
                log.info("load balancer '{}' left panic mode: {} of {} endpoints healthy", name, healthy, total);
            }
            listener.onPanic(p, healthy, total);
        }
    }

    // ---------------------------------------------------------------- draining

    private void signalDrained() {
        drainLock.lock();
        try {
            drained.signalAll();
        } finally {
            drainLock.unlock();
        }
    }

    @Override
    public void drain(String id) {
        Member m = member(id);
        if (m.setBits(Member.DRAINING)) {
            log.info("load balancer '{}' draining {} ({} in flight)", name, m.endpoint, m.inFlight());
            healthChanged();
        }
    }

    @Override
    public void undrain(String id) {
        Member m = member(id);
        if ((m.status & Member.DRAINING) != 0) {
            if (slowStartNanos > 0) {
                m.slowStartBegin = now();
                m.setBits(Member.SLOW_START);
            }
            m.clearBits(Member.DRAINING);
            log.info("load balancer '{}' re-attached {}", name, m.endpoint);
            healthChanged();
        }
    }

    @Override
    public boolean awaitDrained(Endpoint endpoint, Duration timeout) throws InterruptedException {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(timeout, "timeout");
        Member m = member(endpoint.id());
        if ((m.status & Member.DRAINING) == 0) {
            throw new IllegalStateException("endpoint '" + m.id + "' of load balancer '" + name
                    + "' is not draining; call drain(\"" + m.id + "\") first");
        }
        long nanos;
        try {
            nanos = timeout.toNanos();
        } catch (ArithmeticException e) {
            nanos = Long.MAX_VALUE;
        }
        long start = now();
        drainLock.lock();
        try {
            while (m.inFlight() > 0) {
                long elapsed = now() - start;
                if (elapsed >= nanos) {
                    return false;
                }
                // the deadline is on the injectable clock: wake at least every DRAIN_POLL_NANOS of real time
                // to re-read it (a virtual clock moves without signalling) and the count
                drained.awaitNanos(Math.min(nanos - elapsed, DRAIN_POLL_NANOS));
            }
            return true;
        } finally {
            drainLock.unlock();
        }
    }

    // ---------------------------------------------------------------- membership

    /** The member of endpoint {@code id} (package-private for tests). */
    Member member(String id) {
        Objects.requireNonNull(id, "id");
        writeLock.lock();
        try {
            Member m = byId.get(id);
            if (m == null) {
                throw new IllegalArgumentException(
                        "load balancer '" + name + "' has no endpoint '" + id + "'; it has " + byId.keySet());
            }
            return m;
        } finally {
            writeLock.unlock();
        }
    }

    /** Builds and publishes a new snapshot; caller holds writeLock. */
    private void publish() {
        Member[] ms = byId.values().toArray(new Member[0]);
        Picker p = factory.create(ms);
        if (p.unchecked && !striped) {
            // select counts an unchecked pick with Handle.acquireStriped
            throw new IllegalStateException("strategy " + strategy.name() + " picks unchecked but counts exactly");
        }
        p.route = p.route(sticky != null);
        snapshot = p; // the volatile write publishes the route too
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("load balancer '" + name + "' is closed");
        }
    }

    @Override
    public void addEndpoint(Endpoint endpoint) {
        Objects.requireNonNull(endpoint, "endpoint");
        Member m;
        writeLock.lock();
        try {
            checkOpen();
            if (byId.containsKey(endpoint.id())) {
                throw new IllegalArgumentException(
                        "load balancer '" + name + "' already has an endpoint '" + endpoint.id() + "'");
            }
            m = new Member(this, endpoint, striped, stripeCosts);
            if (slowStartNanos > 0) {
                m.slowStartBegin = now();
                m.status = Member.SLOW_START;
            }
            byId.put(endpoint.id(), m);
            publish();
        } finally {
            writeLock.unlock();
        }
        if (checker != null) {
            checker.schedule(m);
        }
        healthChanged();
    }

    @Override
    public boolean removeEndpoint(String id) {
        Objects.requireNonNull(id, "id");
        Member m;
        writeLock.lock();
        try {
            checkOpen();
            m = byId.remove(id);
            if (m == null) {
                return false;
            }
            m.setBits(Member.REMOVED);
            publish();
        } finally {
            writeLock.unlock();
        }
        if (checker != null) {
            checker.cancel(m);
        }
        healthChanged();
        return true;
    }

    @Override
    public void updateEndpoint(Endpoint endpoint) {
        Objects.requireNonNull(endpoint, "endpoint");
        writeLock.lock();
        try {
            checkOpen();
            Member m = byId.get(endpoint.id());
            if (m == null) {
                throw new IllegalArgumentException("load balancer '" + name + "' has no endpoint '" + endpoint.id()
                        + "'; it has " + byId.keySet());
            }
            int old = m.weight;
            m.endpoint = endpoint;
            m.setWeight(endpoint.weight());
            if (old != endpoint.weight()) {
                publish();
            }
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public List<Endpoint> endpoints() {
        Member[] ms = snapshot.members;
        List<Endpoint> out = new ArrayList<>(ms.length);
        for (Member m : ms) {
            out.add(m.endpoint);
        }
        return List.copyOf(out);
    }

    @Override
    public Strategy strategy() {
        return strategy;
    }

    @Override
    public LoadBalancerStats stats() {
        long now = now();
        Member[] ms = snapshot.members;
        List<EndpointStats> out = new ArrayList<>(ms.length);
        for (Member m : ms) {
            out.add(new EndpointStats(
                    m.endpoint, status(m, now), m.inFlight(), m.failures, ejections(m, now), (long) m.costEstimate()));
        }
        return new LoadBalancerStats(name, strategy.name(), panic, sticky == null ? 0 : sticky.size(), out);
    }

    private static EndpointStatus status(Member m, long now) {
        int st = m.status;
        if ((st & Member.DRAINING) != 0) {
            return EndpointStatus.DRAINING;
        }
        if ((st & Member.DOWN) != 0) {
            return EndpointStatus.DOWN;
        }
        if ((st & Member.EJECTED) != 0 && now - m.ejectedUntil < 0) {
            return EndpointStatus.EJECTED;
        }
        if ((st & Member.SLOW_START) != 0) {
            return EndpointStatus.SLOW_START;
        }
        return EndpointStatus.HEALTHY;
    }

    private NoAvailableEndpointException noAvailable(Picker s) {
        long now = now();
        int healthy = 0;
        int draining = 0;
        int ejected = 0;
        int down = 0;
        for (Member m : s.members) {
            switch (status(m, now)) {
                case DRAINING:
                    draining++;
                    break;
                case DOWN:
                    down++;
                    break;
                case EJECTED:
                    ejected++;
                    break;
                default:
                    healthy++;
            }
        }
        return new NoAvailableEndpointException("load balancer '" + name + "' has no available endpoint: "
                + s.members.length + " endpoints (" + healthy + " healthy, " + draining + " draining, " + ejected
                + " ejected, " + down + " down), panic mode " + (panic ? "on" : "off") + " (threshold "
                + Math.round(panicThreshold * 100) + "%)");
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        writeLock.lock();
        try {
            snapshot = new Picker.Closed(snapshot.members);
        } finally {
            writeLock.unlock();
        }
        ewmaClock.close();
        if (checker != null && !checker.close()) {
            log.warn("load balancer '{}' closed but a health probe did not stop within its timeout", name);
        }
        log.info("load balancer '{}' closed", name);
    }

    @Override
    public String toString() {
        return "LoadBalancer[" + name + ", " + strategy + ", " + snapshot.members.length + " endpoints]";
    }
}
