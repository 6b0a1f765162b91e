package io.infrablocks.pool.internal;

import io.infrablocks.pool.Distribution;
import io.infrablocks.pool.Fairness;
import io.infrablocks.pool.Lease;
import io.infrablocks.pool.Pool;
import io.infrablocks.pool.PoolClosedException;
import io.infrablocks.pool.PoolException;
import io.infrablocks.pool.PoolExhaustedException;
import io.infrablocks.pool.PoolMetrics;
import io.infrablocks.pool.ResourceCreationException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool behind {@link Pool#builder}: lock-free lending on the uncontended path, a strict FIFO hand-off
 * queue as soon as anyone waits.
 *
 * <p><b>Algorithm.</b> Resources live in {@link Slot}s whose {@code state} word (FREE, IN_USE, RESERVED,
 * REMOVED) is changed only by CAS, in the style of HikariCP's ConcurrentBag and of a per-thread free-list
 * cache (Bonwick's magazines): a thread remembers the last slot it returned in a thread-local and tries it
 * first, then scans the shared copy-on-write slot array; in both cases a single CAS FREE→IN_USE lends it.
 * Unlike ConcurrentBag, fairness is strict: the volatile {@code gate} word counts the waiters (plus a
 * CLOSED bit), and the lock-free path is taken only while {@code gate == 0}. Once anyone waits, every
 * acquirer joins a lock-free FIFO queue (ConcurrentLinkedDeque of {@link Waiter}s, Michael-Scott style)
 * behind them, and every resource that becomes available (returned, created, put back by housekeeping) is
 * handed directly to the head waiter ({@link #dispatch}), never left FREE for a newcomer to grab: the
 * direct hand-off of a fair SynchronousQueue, as HikariCP issues #1909 and #476 ask for. Each Waiter has
 * a state word (NEW → WAITING → PARKED, then FULFILLED or CANCELLED) and is claimed exactly once, by CAS,
 * either by a dispatcher (FULFILLED) or by itself on timeout (CANCELLED). A waiter spins briefly (4+ CPUs
 * only), then announces PARKED by CAS before it parks; a dispatcher unparks it only if the state it
 * replaced was PARKED, so a hand-off to a waiter that is still running costs no wake-up ({@link #await}).
 *
 * <p><b>Barging mode</b> ({@code fair(false)}, opt-in; the default is the strict FIFO above). The price of
 * strict FIFO when more threads than CPUs borrow in a tight loop is a park/unpark pair per hand-off: the
 * resource goes to a parked thread, and the releaser, arriving again behind the queue, must park too (a
 * lock convoy, as with a fair ReentrantLock). In barging mode the lock-free path is taken whatever the
 * queue, a returned or new resource is left FREE ({@link #offer}), and the head waiter is woken (at most
 * one wake-up in flight: the waiter's {@code signalled} flag, found through the {@code awake} hint without
 * walking the queue) to compete for it with running threads, as
 * in HikariCP's ConcurrentBag and commons-pool2. A waiter keeps its place in the queue until it claims a
 * slot, times out or is failed; one that leaves passes a pending signal on to the new head if a slot is
 * FREE ({@link #passOn}). No lost wake-up: a releaser writes FREE, then reads {@code gate} and the head's
 * {@code signalled}; a waiter counts itself in {@code gate}, links, clears {@code signalled}, then scans
 * for FREE slots (Dekker again). Waiters are woken in arrival order, but a woken one may find nothing and
 * wait again: its wait is bounded only by its timeout.
 *
 * <p><b>Hybrid mode</b> ({@code Fairness.hybrid(threshold)}, opt-in): barging with a bounded wait, after
 * the starvation mode of Go's {@code sync.Mutex} (Go 1.9, src/sync/mutex.go, "Mutex fairness": a waiter
 * that has failed to get the mutex for more than 1 ms switches it to direct hand-off until a waiter that
 * waited less than 1 ms, or the last one, gets it). Here the pool barges as above while the head waiter
 * (the oldest: waiters link in arrival order and carry their arrival time {@code since}) has waited less
 * than the threshold. Whoever makes a slot available while someone waits ({@link #offer}, the release
 * path) compares the head's age with the threshold; once it is older, it sets the volatile {@code
 * starving} flag and hands that slot, and every slot still FREE, directly to the head waiter ({@link
 * #handOff}, the FIFO hand-off through the waiter's state word). While {@code starving} is set, no arrival
 * takes the lock-free path and every available slot goes to the head. A barger that claimed a FREE slot
 * re-reads {@code starving} after its CAS and, if set, hands the slot to the head instead ({@link
 * #starvedOut}); the switch writes {@code starving} before it sweeps the FREE slots, so (Dekker) no slot
 * reaches a barger after the switch. The starvation ends when a hand-off goes to a waiter that has waited
 * less than the threshold (every waiter behind it is younger still), to the last waiter, or finds the queue
 * empty. Hence a waiter that has waited the threshold is overtaken by nobody: it is served once the waiters
 * ahead of it are, and its wait is bounded by the threshold plus the time to serve them (plus the time for
 * one slot to come back), which barging cannot bound and HikariCP's ConcurrentBag does not (its issue
 * #1909). A hand-off during the starvation is followed by {@code Thread.yield()}, the Java stand-in for
 * Go's hand-off of the processor to the woken goroutine: on 2 CPUs with 8 borrowing threads it cut the
 * acquire-wait p99.9 from about 1 ms to under 10 µs (PoolBenchmark.oversubscribedTimed, two A/B runs).
 * Costs over barging: one peek at the queue head per release while someone waits (the release path reads
 * the clock anyway). Hand-off and sweep: O(1) per slot plus the O(n) scan for FREE slots at the switch.
 *
 * <p><b>Invariants.</b> (1) Only the owner of a slot (who won its CAS to IN_USE or RESERVED) changes its
 * plain fields; the CAS gives the happens-before edge to the next owner. (2) No lost wake-up: a releaser
 * writes FREE then reads {@code gate}; a waiter increments {@code gate}, links itself, then rescans for
 * FREE slots. A dispatcher that finds the queue empty writes FREE then peeks the queue again. All these
 * accesses are volatile or CAS, so (Dekker) one side always sees the other, claims the slot by CAS and
 * dispatches it to the head waiter. (3) In FIFO mode, while anyone waits no slot stays FREE: whoever sees
 * a FREE slot and a waiter claims and dispatches it. (4) {@code slots.length + pending + destroying <=
 * maxSize} at all times (guarded by {@code lock}), so never more than maxSize resources exist, counting
 * those being created or destroyed. (5) close() and fail-fast set their flag, then drain the queue; a waiter links,
 * then re-checks the flag. (6) No lost unpark: a FIFO waiter parks only after its own CAS WAITING→PARKED
 * succeeded, and only while its state still reads PARKED; a dispatcher's claim is a CAS from the state it
 * read, so it either replaced WAITING (the waiter's CAS then fails: it never parks) or PARKED (it unparks
 * after writing the item). (7) {@code linked} (what {@code waiting()} reports) counts a waiter after it has
 * linked and until it is claimed: NEW→WAITING is the waiter's own CAS after its increment, and a claimer
 * decrements only when it replaced WAITING or PARKED, so the count never exceeds the linked waiters (a
 * claimed waiter may be counted for an instant) and returns to 0 when the queue empties.
 *
 * <p><b>What guards what.</b> {@code lock} (a ReentrantLock: nothing blocks inside a {@code
 * synchronized}, and it is never taken on the acquire/release/hand-off paths of a full pool) guards the
 * slot array's replacement, {@code pending}, {@code destroying}, the creation backoff and failure state,
 * and the creation histogram. {@code gate} is updated by CAS/getAndAdd. {@code metricsLock} guards the
 * cumulative histograms. Each slot's usage histogram is a plain HdrHistogram written only by the slot's
 * owner and merged by metrics() after claiming the idle slot (FREE→RESERVED, then put back like a
 * return), so recording costs no atomic operation; zero-wait acquires are a per-slot owner-written counter.
 *
 * <p>{@code starving} (hybrid only) is a plain volatile flag: set when a slot is handed to a head waiter
 * older than the threshold, cleared by a hand-off to a younger one or to an empty queue. A stale value is
 * harmless: every release while someone waits re-checks the head's age, and a barger re-checks the flag
 * after its claim.
 *
 * <p><b>Complexity.</b> Uncontended acquire/release: O(1) — a thread-local read, a CAS, one clock read,
 * one lease allocation (plus an O(n) scan of the slot array when the thread's own slot is busy).
 * Contended: O(1) lock-free queue operations plus at most one park/unpark; a timeout removes its waiter
 * in O(waiters). Housekeeping and metrics: O(n).
 *
 * @param <T> the resource type
 */
public final class FairPool<T> implements Pool<T> {

    private static final Logger LOG = LoggerFactory.getLogger(FairPool.class);

    static final int FREE = 0;
    static final int IN_USE = 1;
    static final int RESERVED = 2;
    static final int REMOVED = 3;

    private static final int CLOSED = 1 << 30;
    private static final long MAX_PARK_SLICE = TimeUnit.MILLISECONDS.toNanos(1);
    /**
     * FIFO waiters: busy-wait iterations before announcing PARKED, so that a hand-off arriving meanwhile
     * costs no unpark. Only with 4+ CPUs: on 2 CPUs a spinning waiter holds the CPU that the thread about to
     * release needs (measured: no gain), and yielding instead turns the pool into a round-robin of all
     * its waiters (measured: about one context switch per acquire, 2-4x less throughput).
     */
    private static final int SPINS = Runtime.getRuntime().availableProcessors() >= 4 ? 64 : 0;

    private static final VarHandle STATE;
    private static final VarHandle GATE;
    private static final VarHandle WAITER_STATE;
    private static final VarHandle SIGNALLED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(Slot.class, "state", int.class);
            GATE = l.findVarHandle(FairPool.class, "gate", int.class);
            WAITER_STATE = l.findVarHandle(Waiter.class, "state", int.class);
            SIGNALLED = l.findVarHandle(Waiter.class, "signalled", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One resource and its bookkeeping. */
    static final class Slot<T> {
        volatile int state;
        T resource;
        final long createdAt;
        final long expiresAt; // 0 = never
        long lastUsed;
        long lastVerified;
        long borrowedAt;
        long fastAcquires; // written by the owner only
        long fastSeen; // under metricsLock
        volatile boolean retired;
        volatile LeaseImpl<T> current; // only with leak detection
        final Histogram usage = new Histogram(2); // owner-written, µs

        Slot(T resource, long now, long expiresAt) {
            this.resource = resource;
            this.createdAt = now;
            this.expiresAt = expiresAt;
            this.lastUsed = now;
            this.lastVerified = now;
            // owned by its creator until dispatched; RESERVED so that metrics count it idle meanwhile
            this.state = RESERVED;
        }

        boolean cas(int expect, int update) {
            return STATE.compareAndSet(this, expect, update);
        }
    }

    /** A thread's remembered slot (the per-thread fast path). */
    static final class Local {
        Slot<?> slot;
    }

    /**
     * A queued acquirer and its state word. NEW: linked, not yet counted in {@code linked}; WAITING:
     * counted, running (spinning or yielding); PARKED: counted, and announced by the waiter itself (CAS
     * from WAITING) before it parks. Exactly one party wins the CAS out of NEW/WAITING/PARKED: a
     * dispatcher (FULFILLED, then sets {@code item}: a Slot or a PoolException, and unparks the waiter only
     * if the state it replaced was PARKED) or the waiter itself on timeout/interrupt (CANCELLED).
     */
    static final class Waiter {
        static final int NEW = 0;
        static final int WAITING = 1;
        static final int PARKED = 2;
        static final int FULFILLED = 3;
        static final int CANCELLED = 4;

        final Thread thread = Thread.currentThread();
        volatile int state;
        volatile Object item;
        /** Barging mode: a releaser has woken this waiter to compete for an idle slot (cleared by it). */
        volatile boolean signalled;
        /**
         * Hybrid mode: when this acquire began (clock nanos). Written before the waiter is linked, read by
         * releasers through the queue (whose link publishes it).
         */
        long since;

        boolean cas(int expect, int update) {
            return WAITER_STATE.compareAndSet(this, expect, update);
        }
    }

    private final PoolConfig<T> cfg;
    /** Not {@code Fairness.FIFO}: the opt-in throughput mode (see the barging paragraph of the class comment). */
    private final boolean barging;
    /** Barging with a starvation threshold (see the hybrid paragraph of the class comment). */
    private final boolean hybrid;
    /** Hybrid: the head waiter's wait (ns) past which the pool hands off in strict FIFO order. */
    private final long starveAfter;
    /**
     * Hybrid: true while the pool starves, i.e. hands every available slot to the head waiter and no
     * arrival barges. Set by a releaser that finds the head waiter older than {@code starveAfter}; cleared
     * by a hand-off to a waiter younger than that or when the queue is empty.
     */
    private volatile boolean starving;

    private final String name;
    private final ScheduledThreadPoolExecutor executor;
    private final ThreadLocal<Local> local = new ThreadLocal<>();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition drained = lock.newCondition();

    @SuppressWarnings("unused") // through GATE
    private volatile int gate;

    /**
     * Waiters linked into the queue and not yet served or cancelled: what {@code waiting()} reports. A
     * waiter counts itself only after linking, so whoever sees it counted arrives behind it ({@code gate}
     * counts a waiter a moment before it links: it is the Dekker flag, not the queue length). A LongAdder,
     * not a field next to {@code gate}: the fast path reads {@code gate} on every acquire and release, and
     * must not see its cache line invalidated twice more per queue entry.
     */
    private final LongAdder linked = new LongAdder();

    /** FIFO wait phases ({@link #await}); plain fields, set only by tests before the pool is shared. */
    private int spins = SPINS;

    private int yields;

    @SuppressWarnings({"unchecked", "rawtypes"})
    private volatile Slot<T>[] slots = new Slot[0];

    private final ConcurrentLinkedDeque<Waiter> queue = new ConcurrentLinkedDeque<>();

    /** Barging: the waiter woken last (a hint for {@link #signalHead}; any value is safe). */
    private volatile Waiter awake;

    // Under lock
    private int pending;
    /** Creations running {@code factory.create()} now (guarded by {@code lock}); close() waits for them. */
    private int creating;

    private int destroying;
    private long backoff;
    private boolean retryScheduled;
    private volatile boolean creationFailing;
    private volatile Throwable lastCreationError;
    private boolean closeStarted;
    private boolean closeClean = true;
    private final Histogram creationTimes = new Histogram(2);

    // Counters
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder leaks = new LongAdder();
    private final LongAdder created = new LongAdder();
    private final LongAdder destroyed = new LongAdder();
    private final LongAdder creationFailures = new LongAdder();
    private final LongAdder validationFailures = new LongAdder();
    private final Recorder waitRecorder = new Recorder(2);

    private final ReentrantLock metricsLock = new ReentrantLock();
    private final Histogram waitTotal = new Histogram(2);
    private final Histogram usageTotal = new Histogram(2);

    private FairPool(PoolConfig<T> cfg) {
        this.cfg = cfg;
        this.barging = !cfg.fairness().equals(Fairness.FIFO);
        this.starveAfter = cfg.fairness().starvationThreshold().toNanos();
        this.hybrid = starveAfter > 0;
        this.name = cfg.name();
        this.backoff = cfg.retryInitial();
        ThreadFactory tf = cfg.threadFactory() != null ? cfg.threadFactory() : defaultThreadFactory(name);
        this.executor = new ScheduledThreadPoolExecutor(2, tf);
        this.executor.setRemoveOnCancelPolicy(true);
        this.executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /**
     * Starts a pool: schedules housekeeping and the creation of {@code minIdle} resources.
     *
     * @param cfg the validated settings
     * @param <T> the resource type
     * @return the running pool
     */
    public static <T> FairPool<T> start(PoolConfig<T> cfg) {
        FairPool<T> pool = new FairPool<>(Objects.requireNonNull(cfg, "cfg"));
        long period = cfg.housekeepingPeriod();
        pool.executor.scheduleWithFixedDelay(pool::housekeepQuietly, period, period, TimeUnit.NANOSECONDS);
        pool.lock.lock();
        try {
            pool.requestCreationLocked();
        } finally {
            pool.lock.unlock();
        }
        LOG.info(
                "pool '{}' started: maxSize {}, minIdle {}, acquireTimeout {} ms, failFast {}, fairness {}",
                cfg.name(),
                cfg.maxSize(),
                cfg.minIdle(),
                TimeUnit.NANOSECONDS.toMillis(cfg.acquireTimeout()),
                cfg.failFast(),
                cfg.fairness());
        return pool;
    }

    private static ThreadFactory defaultThreadFactory(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "infra-pool-" + name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Test hook: sets the FIFO wait phases (busy-wait iterations, then {@code Thread.yield()} calls, before
     * announcing PARKED and parking; by default {@link #SPINS} and no yields), so that tests drive the
     * hand-off through every interleaving. Call before the pool is shared with other threads.
     */
    void waitPhases(int spinCount, int yieldCount) {
        this.spins = spinCount;
        this.yields = yieldCount;
    }

    @Override
    public String name() {
        return name;
    }

    // ------------------------------------------------------------------------------------------ acquire

    @Override
    public Lease<T> acquire() {
        return acquireNanos(cfg.acquireTimeout());
    }

    @Override
    public Lease<T> acquire(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be >= 0 but was " + timeout);
        }
        long nanos;
        try {
            nanos = timeout.toNanos();
        } catch (ArithmeticException e) {
            nanos = Long.MAX_VALUE / 2;
        }
        return acquireNanos(Math.min(nanos, Long.MAX_VALUE / 2));
    }

    @SuppressWarnings("unchecked")
    private Lease<T> acquireNanos(long timeout) {
        int g = gate;
        if (g == 0 || (barging && (g & CLOSED) == 0 && !(hybrid && starving))) {
            Local l = local.get();
            if (l != null) {
                Slot<T> s = (Slot<T>) l.slot;
                if (s != null && s.state == FREE && s.cas(FREE, IN_USE) && !starvedOut(s)) {
                    LeaseImpl<T> lease = lend(s);
                    if (lease != null) {
                        s.fastAcquires++;
                        return lease;
                    }
                }
            }
            for (Slot<T> s : slots) {
                if (s.state == FREE && s.cas(FREE, IN_USE)) {
                    if (starvedOut(s)) {
                        break;
                    }
                    LeaseImpl<T> lease = lend(s);
                    if (lease != null) {
                        s.fastAcquires++;
                        return lease;
                    }
                }
            }
        }
        return barging ? acquireBarging(timeout) : acquireSlow(timeout);
    }

    private Slot<T> claimFree() {
        for (Slot<T> s : slots) {
            if (s.state == FREE && s.cas(FREE, IN_USE)) {
                return s;
            }
        }
        return null;
    }

    /** Lends a claimed slot, or discards it (expired, retired, invalid) and returns null. */
    private LeaseImpl<T> lend(Slot<T> s) {
        long now = cfg.clock().nanoTime();
        if (s.retired) {
            discard(s, "evicted", true);
            return null;
        }
        if (s.expiresAt != 0 && now - s.expiresAt >= 0) {
            discard(s, "lifetime", true);
            return null;
        }
        if (now - s.lastVerified >= cfg.validateAfterIdle()) {
            if (!validate(s)) {
                discard(s, "invalid", true);
                return null;
            }
            now = cfg.clock().nanoTime();
            s.lastVerified = now;
        }
        s.borrowedAt = now;
        LeaseImpl<T> lease = new LeaseImpl<>(this, s, s.resource);
        if (cfg.leakThreshold() > 0) {
            lease.borrowedAt = now;
            lease.trace = new Throwable("lease of pool '" + name + "' acquired by thread "
                    + Thread.currentThread().getName());
            s.current = lease;
        }
        return lease;
    }

    private boolean validate(Slot<T> s) {
        try {
            if (cfg.factory().validate(s.resource)) {
                return true;
            }
            LOG.debug("pool '{}': resource failed validation", name);
        } catch (Exception e) {
            LOG.debug("pool '{}': resource failed validation", name, e);
        }
        validationFailures.increment();
        return false;
    }

    private static final int ENTERED = 0;
    private static final int REFUSED_CLOSED = 1;
    private static final int REFUSED_FULL = 2;

    /** Counts a new waiter in {@code gate}, unless closed or (for newcomers) the queue is full. */
    private int enter(boolean bypassBound) {
        for (; ; ) {
            int g = gate;
            if ((g & CLOSED) != 0) {
                return REFUSED_CLOSED;
            }
            if (!bypassBound && (g & ~CLOSED) >= cfg.maxWaiters()) {
                return REFUSED_FULL;
            }
            if (GATE.compareAndSet(this, g, g + 1)) {
                return ENTERED;
            }
        }
    }

    /** Withdraws a waiter that timed out or was interrupted; false when a dispatcher got it first. */
    private boolean cancel(Waiter w) {
        int st = claim(w, Waiter.CANCELLED);
        if (st < 0) {
            return false;
        }
        GATE.getAndAdd(this, -1);
        if (st != Waiter.NEW) {
            linked.decrement();
        }
        queue.remove(w);
        if (barging) {
            retire(w);
        }
        return true;
    }

    /** Fulfils a waiter claimed from the queue; false when it had been cancelled. */
    private boolean fulfil(Waiter w, Object item) {
        int st = claim(w, Waiter.FULFILLED);
        if (st < 0) {
            return false;
        }
        GATE.getAndAdd(this, -1);
        if (st != Waiter.NEW) {
            linked.decrement();
        }
        w.item = item;
        // A FIFO waiter parks only after announcing PARKED; one we claimed while running sees the item.
        // Barging waiters park on their signal instead and are always woken.
        if (st == Waiter.PARKED || barging) {
            LockSupport.unpark(w.thread);
        }
        return true;
    }

    /**
     * Moves a waiter out of NEW/WAITING/PARKED into {@code to}; returns the state it replaced, or -1 when
     * someone else claimed it first.
     */
    private static int claim(Waiter w, int to) {
        for (; ; ) {
            int st = w.state;
            if (st >= Waiter.FULFILLED) {
                return -1;
            }
            if (w.cas(st, to)) {
                return st;
            }
        }
    }

    /** Links a counted waiter at the tail (or, {@code atHead}, the head), then counts it in {@code linked}. */
    private void link(Waiter w, boolean atHead) {
        if (atHead) {
            queue.offerFirst(w);
        } else {
            queue.offerLast(w);
        }
        linked.increment();
        if (!w.cas(Waiter.NEW, Waiter.WAITING)) {
            linked.decrement(); // already served or failed while NEW: its claimer did not count it
        }
    }

    /** Number of waiters linked in the queue (what {@code waiting()} reports; a test hook too). */
    int linkedWaiters() {
        return (int) Math.max(0, linked.sum());
    }

    /** Fails every queued waiter with an exception made by {@code error}. */
    private void failWaiters(java.util.function.Supplier<PoolException> error) {
        Waiter w;
        while ((w = queue.pollFirst()) != null) {
            if (fulfil(w, error.get()) && error != (Object) closedSupplier) {
                rejected.increment();
            }
        }
    }

    private final java.util.function.Supplier<PoolException> closedSupplier = this::closedException;

    private Lease<T> acquireSlow(long timeout) {
        long start = cfg.clock().nanoTime();
        long deadline = start + timeout;
        boolean atHead = false;
        for (; ; ) {
            int g = gate;
            if ((g & CLOSED) != 0) {
                throw closedException();
            }
            Slot<T> got = null;
            if (g == 0 || atHead) {
                got = claimFree();
            }
            if (got == null) {
                PoolException failure = refuseOrEnter(deadline, timeout, atHead);
                if (failure != null) {
                    cfg.listener().acquireFailed(failure);
                    throw failure;
                }
                Waiter w = new Waiter();
                link(w, atHead);
                // Close and fail-fast drain the queue after setting their flag: re-check after linking.
                if ((gate & CLOSED) != 0 && cancel(w)) {
                    throw closedException();
                }
                if (cfg.failFast() && creationFailing && cancel(w)) {
                    rejected.increment();
                    PoolException e = creationException("no resource idle and creation is failing");
                    cfg.listener().acquireFailed(e);
                    throw e;
                }
                requestCreation();
                // Invariant (2): a slot freed before our link became visible is dispatched to the head.
                Slot<T> free = claimFree();
                if (free != null) {
                    dispatch(free);
                }
                Object item = await(w, deadline, timeout);
                if (item instanceof PoolException) {
                    PoolException e = (PoolException) item;
                    cfg.listener().acquireFailed(e);
                    throw e;
                }
                @SuppressWarnings("unchecked")
                Slot<T> s = (Slot<T>) item;
                got = s;
            }
            LeaseImpl<T> lease = lend(got);
            if (lease != null) {
                waitRecorder.recordValue(Math.max(0, (cfg.clock().nanoTime() - start) / 1000));
                return lease;
            }
            atHead = true; // the slot we were given was bad: keep our place at the head
        }
    }

    /**
     * FIFO wait: spin (with 4+ CPUs), then announce PARKED and park. The state word makes the hand-off
     * cheap without a lost wake-up: a dispatcher that claims the waiter while it is still WAITING (running)
     * hands it the slot without an unpark, and the waiter's own CAS WAITING -> PARKED then fails, so it
     * never parks; a dispatcher that finds it PARKED writes the item, then unparks it (a permit given
     * before the park makes the park return at once). The waiter parks only while its state reads PARKED.
     */
    private Object await(Waiter w, long deadline, long timeout) {
        Object item;
        for (int i = spins; i > 0; i--) {
            if ((item = w.item) != null) {
                return item;
            }
            Thread.onSpinWait();
        }
        for (int i = yields; i > 0 && deadline - cfg.clock().nanoTime() > 0; i--) { // tests only
            if ((item = w.item) != null) {
                return item;
            }
            Thread.yield();
        }
        if (w.cas(Waiter.WAITING, Waiter.PARKED)) { // else claimed while running: no unpark is coming
            while (w.state == Waiter.PARKED) {
                long remaining = deadline - cfg.clock().nanoTime();
                boolean interrupted = Thread.interrupted();
                if (remaining <= 0 || interrupted) {
                    PoolException failure = giveUp(w, timeout, interrupted);
                    if (failure != null) {
                        return failure;
                    }
                    break; // a dispatcher claimed us first: the item is on its way
                }
                LockSupport.parkNanos(this, cfg.systemClock() ? remaining : Math.min(remaining, MAX_PARK_SLICE));
            }
        }
        while ((item = w.item) == null) { // claimed: the item is on its way
            Thread.onSpinWait();
        }
        return item;
    }

    /**
     * A waiter whose deadline passed or that was interrupted withdraws (restoring the interrupt flag):
     * returns the exception to throw, or null when a dispatcher claimed it first and its item is on its way.
     */
    private PoolException giveUp(Waiter w, long timeout, boolean interrupted) {
        // The message describes the pool as this waiter saw it, itself still counted as waiting.
        PoolException failure = interrupted
                ? new PoolException("pool '" + name + "': interrupted while waiting for a resource")
                : exhausted("timed out after " + TimeUnit.NANOSECONDS.toMillis(timeout) + " ms");
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (!cancel(w)) {
            return null;
        }
        if (!interrupted) {
            timeouts.increment();
        }
        return failure;
    }

    /**
     * Hands a slot the caller owns (IN_USE or RESERVED) to the head waiter, or makes it FREE when nobody
     * waits, or destroys it when the pool is closed.
     */
    private void dispatch(Slot<T> s) {
        if (barging) {
            offer(s);
            return;
        }
        for (; ; ) {
            if ((gate & CLOSED) != 0) {
                discard(s, "closed", false);
                return;
            }
            Waiter w = queue.pollFirst();
            if (w != null) {
                s.state = IN_USE;
                if (fulfil(w, s)) {
                    return;
                }
                continue; // cancelled: next
            }
            s.state = FREE;
            // A waiter may have linked after our poll and rescanned before our FREE: re-check (Dekker).
            if (queue.peekFirst() == null || !s.cas(FREE, IN_USE)) {
                if ((gate & CLOSED) != 0 && s.cas(FREE, RESERVED)) {
                    discard(s, "closed", false);
                }
                return;
            }
        }
    }

    // ----------------------------------------------------------------------------------- barging mode

    /**
     * Barging acquire: take any FREE slot, whoever waits; else queue up, park, and when woken compete for a
     * FREE slot again (keeping the place in the queue until served, timed out or closed).
     */
    private Lease<T> acquireBarging(long timeout) {
        long start = cfg.clock().nanoTime();
        long deadline = start + timeout;
        boolean atHead = false;
        for (; ; ) {
            if ((gate & CLOSED) != 0) {
                throw closedException();
            }
            Slot<T> got = hybrid && starving ? null : claimFree();
            if (got != null && starvedOut(got)) {
                got = null;
            }
            if (got == null) {
                PoolException failure = refuseOrEnter(deadline, timeout, atHead);
                if (failure != null) {
                    cfg.listener().acquireFailed(failure);
                    throw failure;
                }
                Waiter w = new Waiter();
                w.since = start;
                link(w, atHead);
                if ((gate & CLOSED) != 0 && cancel(w)) {
                    throw closedException();
                }
                if (cfg.failFast() && creationFailing && cancel(w)) {
                    rejected.increment();
                    PoolException e = creationException("no resource idle and creation is failing");
                    cfg.listener().acquireFailed(e);
                    throw e;
                }
                requestCreation();
                Object item = awaitBarging(w, deadline, timeout);
                if (item instanceof PoolException) {
                    PoolException e = (PoolException) item;
                    cfg.listener().acquireFailed(e);
                    throw e;
                }
                @SuppressWarnings("unchecked")
                Slot<T> s = (Slot<T>) item;
                got = s;
            }
            LeaseImpl<T> lease = lend(got);
            if (lease != null) {
                waitRecorder.recordValue(Math.max(0, (cfg.clock().nanoTime() - start) / 1000));
                return lease;
            }
            atHead = hybrid; // the slot was bad: a hybrid waiter keeps its age and goes to the front
        }
    }

    /**
     * Barging wait: clear the signal, scan for a FREE slot (Dekker with {@link #offer}: it writes FREE,
     * then reads the head's signal), park until signalled. Returns a claimed Slot or a PoolException.
     */
    private Object awaitBarging(Waiter w, long deadline, long timeout) {
        for (; ; ) {
            Object item = w.item;
            if (item != null) {
                retire(w);
                return item; // close / fail-fast
            }
            w.signalled = false;
            Slot<T> s = claimFree();
            if (s != null) {
                if (starvedOut(s)) {
                    continue; // handed to the head waiter, perhaps this one: the loop reads the item
                }
                if (cancel(w)) { // leaves the queue, passes a pending signal on
                    return s;
                }
                offer(s); // close or fail-fast claimed us first: give the slot back
                while ((item = w.item) == null) {
                    Thread.onSpinWait();
                }
                retire(w);
                return item;
            }
            long remaining = deadline - cfg.clock().nanoTime();
            boolean interrupted = Thread.interrupted();
            if (remaining <= 0 || interrupted) {
                PoolException failure = giveUp(w, timeout, interrupted);
                if (failure != null) {
                    return failure;
                }
                while ((item = w.item) == null) {
                    Thread.onSpinWait();
                }
                retire(w);
                return item;
            }
            LockSupport.parkNanos(this, cfg.systemClock() ? remaining : Math.min(remaining, MAX_PARK_SLICE));
        }
    }

    /**
     * Barging: a waiter that is out of the queue stops scanning: it clears its signal, then passes on any
     * signal it may have absorbed ({@link #passOn}), so that {@link #signalHead} may trust a set flag.
     */
    private void retire(Waiter w) {
        w.signalled = false;
        passOn();
    }

    /**
     * Barging: makes a slot the caller owns FREE and wakes the head waiter to compete for it; hybrid: hands
     * it to the head waiter instead while the pool starves.
     */
    private void offer(Slot<T> s) {
        if ((gate & CLOSED) != 0) {
            discard(s, "closed", false);
            return;
        }
        if (hybrid && gate != 0) {
            long now = cfg.clock().nanoTime();
            if (starved(now)) {
                handOff(s, now);
                return;
            }
        }
        s.state = FREE;
        freed(s);
    }

    // ------------------------------------------------------------------------------------ hybrid mode

    /**
     * Hybrid: whether available slots must go to the head waiter: the pool starves already, or the head
     * waiter has waited {@code starveAfter} by {@code now}, which starts the starvation; the caller that
     * starts it also hands every slot left FREE by barging to the head ({@link #handOff}). Caller: someone
     * waits ({@code gate != 0}).
     */
    private boolean starved(long now) {
        if (starving) {
            return true;
        }
        Waiter head = queue.peekFirst();
        if (head == null || now - head.since < starveAfter) {
            return false;
        }
        starving = true;
        Slot<T> free;
        while (starving && (free = claimFree()) != null) {
            handOff(free, now);
        }
        return true;
    }

    /**
     * Hybrid: a slot just claimed by barging ({@code FREE -> IN_USE}) while the pool starves goes to the
     * head waiter instead (returns true: the caller must not use it). Dekker with {@link #starved}: the
     * switch writes {@code starving}, then sweeps the FREE slots; a barger CASes a slot, then reads {@code
     * starving}; so a slot taken after the switch is either swept or given back here.
     */
    private boolean starvedOut(Slot<T> s) {
        if (hybrid && starving) {
            handOff(s, cfg.clock().nanoTime());
            return true;
        }
        return false;
    }

    /**
     * Hybrid, starving: hands a slot the caller owns to the head waiter (the strict FIFO hand-off). Ends the
     * starvation, as Go's {@code sync.Mutex} does, when the waiter served has waited less than {@code
     * starveAfter} (so has every waiter behind it) or when nobody waits: then the slot is left FREE and the
     * head is woken, the barging way ({@link #freed}: write FREE, then read {@code gate}).
     */
    private void handOff(Slot<T> s, long now) {
        for (; ; ) {
            if ((gate & CLOSED) != 0) {
                discard(s, "closed", false);
                return;
            }
            Waiter w = queue.pollFirst();
            if (w == null) {
                break;
            }
            if (now - w.since < starveAfter) {
                starving = false;
            }
            s.state = IN_USE;
            if (fulfil(w, s)) {
                if (queue.peekFirst() == null) {
                    starving = false; // served the last waiter
                }
                // Go's starvation mode hands the woken goroutine the processor (semrelease with handoff);
                // the nearest a Java thread can do is to yield, so the parked waiter runs sooner and the
                // other hand-offs of the episode do not pile up on threads that are not running.
                Thread.yield();
                return;
            }
        }
        starving = false;
        s.state = FREE;
        freed(s);
    }

    /** Test hook: whether the hybrid pool starves now (hands off in strict FIFO order). */
    boolean starving() {
        return starving;
    }

    /** Test hook: slots FREE now. */
    int freeSlots() {
        int n = 0;
        for (Slot<T> s : slots) {
            if (s.state == FREE) {
                n++;
            }
        }
        return n;
    }

    /** Barging: after a slot became FREE, wakes the head waiter if anyone waits. */
    private void freed(Slot<T> s) {
        if (gate != 0) { // volatile read after the FREE write: a waiter counted before it scans after it
            signalHead();
            if ((gate & CLOSED) != 0 && s.cas(FREE, RESERVED)) {
                discard(s, "closed", false);
            }
        }
    }

    /**
     * Barging: wakes the head waiter, unless the last woken waiter is still WAITING and has not cleared its
     * signal yet. Such a waiter clears its flag before it scans, and one that leaves (state no longer
     * WAITING) scans again in {@link #retire}; either way it sees the slot the caller has just made FREE.
     * Trusting it spares the caller a walk of the queue on every release. A waiter that has left is never
     * trusted: a late signal may have set its flag after its last scan.
     */
    private void signalHead() {
        Waiter a = awake;
        if (a != null && a.signalled && a.state < Waiter.FULFILLED) {
            return;
        }
        Waiter w = queue.peekFirst();
        if (w != null && !w.signalled && SIGNALLED.compareAndSet(w, false, true)) {
            awake = w;
            LockSupport.unpark(w.thread);
        }
    }

    /**
     * Barging: a waiter left the queue (served, timed out, closed) and may have consumed a signal meant for
     * a slot that is still FREE: pass it on to the new head (Dekker: it left the queue, then scans; a
     * releaser that saw it at the head had written FREE before).
     */
    private void passOn() {
        if ((gate & ~CLOSED) == 0) {
            return;
        }
        for (Slot<T> s : slots) {
            if (s.state == FREE) {
                signalHead();
                return;
            }
        }
    }

    // ------------------------------------------------------------------------------------------ release

    @SuppressWarnings("unchecked")
    void release(Slot<T> s, LeaseImpl<T> lease) {
        long now = cfg.clock().nanoTime();
        s.usage.recordValue(Math.max(0, (now - s.borrowedAt) / 1000));
        s.lastUsed = now;
        s.lastVerified = now;
        if (cfg.leakThreshold() > 0) {
            s.current = null;
            if (lease.leakReported) {
                LOG.info(
                        "pool '{}': lease reported as leaked was returned after {} ms",
                        name,
                        TimeUnit.NANOSECONDS.toMillis(now - lease.borrowedAt));
            }
        }
        if (s.retired || (s.expiresAt != 0 && now - s.expiresAt >= 0)) {
            discard(s, s.retired ? "evicted" : "lifetime", true);
            return;
        }
        Local l = local.get();
        if (l == null) {
            l = new Local();
            local.set(l);
        }
        l.slot = s;
        if (barging) {
            if (hybrid && gate != 0 && (gate & CLOSED) == 0 && starved(now)) {
                if (s.state == IN_USE) {
                    handOff(s, now);
                }
                return;
            }
            if ((gate & CLOSED) == 0 && s.cas(IN_USE, FREE)) {
                freed(s);
            } else if (s.state == IN_USE) {
                discard(s, "closed", false);
            }
            return;
        }
        if (gate == 0) {
            if (!s.cas(IN_USE, FREE)) {
                return; // destroyed by a forced close meanwhile
            }
            if (gate == 0 || !s.cas(FREE, IN_USE)) {
                return;
            }
        } else if (s.state != IN_USE) {
            return;
        }
        dispatch(s);
    }

    void invalidate(Slot<T> s) {
        if (cfg.leakThreshold() > 0) {
            s.current = null;
        }
        long now = cfg.clock().nanoTime();
        s.usage.recordValue(Math.max(0, (now - s.borrowedAt) / 1000));
        discard(s, "invalidated", true);
    }

    // ------------------------------------------------------------------------------- create / destroy

    /** Removes a slot the caller owns and destroys its resource; schedules a replacement if needed. */
    private void discard(Slot<T> s, String reason, boolean async) {
        discard(s, reason, async, true);
    }

    /** {@code owned}: the caller owns the slot, so it may read the slot's owner-written histogram. */
    private void discard(Slot<T> s, String reason, boolean async, boolean owned) {
        int st = s.state;
        if (st == REMOVED || !s.cas(st, REMOVED)) {
            return;
        }
        if (owned) {
            drainSlotMetrics(s);
        }
        T resource = s.resource;
        s.resource = null;
        lock.lock();
        try {
            Slot<T>[] cur = slots;
            int i = indexOf(cur, s);
            if (i >= 0) {
                Slot<T>[] next = Arrays.copyOf(cur, cur.length - 1);
                System.arraycopy(cur, i + 1, next, i, cur.length - i - 1);
                slots = next;
            }
            destroying++;
        } finally {
            lock.unlock();
        }
        Runnable task = () -> {
            destroyNow(resource, reason);
            lock.lock();
            try {
                destroying--;
                if (slots.length == 0) {
                    drained.signalAll();
                }
                requestCreationLocked();
            } finally {
                lock.unlock();
            }
        };
        if (async) {
            try {
                executor.execute(task);
                return;
            } catch (RejectedExecutionException e) {
                // closed: destroy here
            }
        }
        task.run();
    }

    private static int indexOf(Slot<?>[] a, Slot<?> s) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == s) {
                return i;
            }
        }
        return -1;
    }

    private void destroyNow(T resource, String reason) {
        if (resource == null) {
            return;
        }
        try {
            cfg.factory().destroy(resource);
        } catch (Exception e) {
            LOG.debug("pool '{}': destroying a resource failed", name, e);
        }
        destroyed.increment();
        cfg.listener().destroyed(reason);
    }

    /** Takes the lock to schedule creations, unless the pool is obviously full. */
    private void requestCreation() {
        if (slots.length < cfg.maxSize()) {
            lock.lock();
            try {
                requestCreationLocked();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Schedules creations while there is demand and room (invariant 4). Caller holds lock. */
    private void requestCreationLocked() {
        if ((gate & CLOSED) != 0 || retryScheduled) {
            return;
        }
        for (; ; ) {
            int total = slots.length;
            int room = cfg.maxSize() - total - pending - destroying;
            if (room <= 0) {
                return;
            }
            int waiting = gate & ~CLOSED;
            boolean forWaiters = pending < waiting;
            boolean forMinIdle = total + pending < cfg.minIdle();
            if (!forWaiters && !forMinIdle) {
                return;
            }
            pending++;
            try {
                executor.execute(this::createOne);
            } catch (RejectedExecutionException e) {
                pending--;
                return;
            }
            if (creationFailing) {
                return; // one probe at a time while the backend is down
            }
        }
    }

    /** With fail-fast, makes sure a retry is on its way so that the pool notices recovery. */
    private void ensureRetryLocked() {
        if (pending == 0 && !retryScheduled && (gate & CLOSED) == 0) {
            if (slots.length + destroying < cfg.maxSize()) {
                pending++;
                try {
                    executor.execute(this::createOne);
                } catch (RejectedExecutionException e) {
                    pending--;
                }
            }
        }
    }

    private void createOne() {
        lock.lock();
        try {
            if ((gate & CLOSED) != 0) {
                pending--; // queued before close: nothing to create any more
                drained.signalAll();
                return;
            }
            creating++;
        } finally {
            lock.unlock();
        }
        try {
            createOneCounted();
        } finally {
            lock.lock();
            try {
                creating--;
                drained.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Creates one resource; {@code creating} counts it, so close() waits until it is lent or destroyed. */
    private void createOneCounted() {
        long t0 = cfg.clock().nanoTime();
        T resource;
        try {
            resource = cfg.factory().create();
            if (resource == null) {
                throw new NullPointerException("ResourceFactory.create() returned null");
            }
        } catch (Throwable e) { // a factory may throw anything; the pool must keep running
            creationFailed(e);
            return;
        }
        long now = cfg.clock().nanoTime();
        long expires = 0;
        if (cfg.maxLifetime() > 0) {
            long jitter = cfg.lifetimeJitter() > 0 ? ThreadLocalRandom.current().nextLong(cfg.lifetimeJitter()) : 0;
            expires = now + cfg.maxLifetime() - jitter;
            if (expires == 0) {
                expires = 1;
            }
        }
        Slot<T> s = new Slot<>(resource, now, expires);
        boolean wasFailing;
        lock.lock();
        try {
            pending--;
            wasFailing = creationFailing;
            creationFailing = false;
            backoff = cfg.retryInitial();
            if ((gate & CLOSED) != 0) {
                s.state = REMOVED;
            } else {
                Slot<T>[] cur = slots;
                Slot<T>[] next = Arrays.copyOf(cur, cur.length + 1);
                next[cur.length] = s;
                slots = next;
                creationTimes.recordValue(Math.max(0, (now - t0) / 1000));
            }
        } finally {
            lock.unlock();
        }
        if (s.state == REMOVED) {
            destroyNow(resource, "closed");
            return;
        }
        created.increment();
        if (wasFailing) {
            LOG.info("pool '{}': resource creation works again", name);
        }
        cfg.listener().created(Duration.ofNanos(now - t0));
        dispatch(s);
        lock.lock();
        try {
            requestCreationLocked();
        } finally {
            lock.unlock();
        }
    }

    private void creationFailed(Throwable e) {
        creationFailures.increment();
        boolean firstFailure;
        lock.lock();
        try {
            pending--;
            firstFailure = !creationFailing;
            lastCreationError = e;
            creationFailing = true;
            long delay = backoff;
            backoff = Math.min(cfg.retryMax(), backoff * 2);
            int waiting = gate & ~CLOSED;
            boolean demand = waiting > 0 || slots.length + pending < cfg.minIdle() || cfg.failFast();
            if ((gate & CLOSED) == 0
                    && demand
                    && !retryScheduled
                    && slots.length + pending + destroying < cfg.maxSize()) {
                retryScheduled = true;
                pending++;
                try {
                    executor.schedule(
                            () -> {
                                lock.lock();
                                try {
                                    retryScheduled = false;
                                } finally {
                                    lock.unlock();
                                }
                                createOne();
                            },
                            delay,
                            TimeUnit.NANOSECONDS);
                } catch (RejectedExecutionException ex) {
                    retryScheduled = false;
                    pending--;
                }
            }
        } finally {
            lock.unlock();
        }
        if (cfg.failFast()) {
            // Nothing is idle (else nobody would wait): fail every waiter now.
            failWaiters(() -> creationException("creation failed"));
        }
        if (firstFailure) {
            LOG.warn("pool '{}': cannot create a resource, retrying with backoff: {}", name, e.toString());
        } else {
            LOG.debug("pool '{}': resource creation failed again", name, e);
        }
        cfg.listener().creationFailed(e);
    }

    // ---------------------------------------------------------------------------------- housekeeping

    private void housekeepQuietly() {
        try {
            housekeep();
        } catch (RuntimeException e) {
            LOG.warn("pool '{}': housekeeping failed", name, e);
        }
    }

    /**
     * One housekeeping pass (run periodically by the pool's thread; tests call it directly with an
     * injected clock): leak detection, lifetime and idle expiry, keepalive validation, refill.
     */
    public void housekeep() {
        long now = cfg.clock().nanoTime();
        if (cfg.leakThreshold() > 0) {
            for (Slot<T> s : slots) {
                LeaseImpl<T> l = s.current;
                if (l != null && !l.leakReported && now - l.borrowedAt >= cfg.leakThreshold()) {
                    l.leakReported = true;
                    leaks.increment();
                    Duration held = Duration.ofNanos(now - l.borrowedAt);
                    LOG.warn(
                            "pool '{}': possible leak, a lease has been held for {} ms; borrowed here:",
                            name,
                            held.toMillis(),
                            l.trace);
                    cfg.listener().leakDetected(held, l.trace);
                }
            }
        }
        for (Slot<T> s : slots) {
            if (s.state != FREE || !s.cas(FREE, RESERVED)) {
                continue;
            }
            if (s.retired) {
                discard(s, "evicted", false);
                continue;
            }
            if (s.expiresAt != 0 && now - s.expiresAt >= 0) {
                discard(s, "lifetime", false);
                continue;
            }
            if (cfg.idleTimeout() > 0 && now - s.lastUsed >= cfg.idleTimeout() && slots.length > cfg.minIdle()) {
                discard(s, "idle", false);
                continue;
            }
            if (cfg.keepalive() > 0 && now - s.lastVerified >= cfg.keepalive()) {
                if (!validate(s)) {
                    discard(s, "invalid", false);
                    continue;
                }
                s.lastVerified = cfg.clock().nanoTime();
            }
            putBack(s);
        }
        lock.lock();
        try {
            requestCreationLocked();
        } finally {
            lock.unlock();
        }
    }

    private void putBack(Slot<T> s) {
        if (gate == 0) {
            if (!s.cas(RESERVED, FREE)) {
                return;
            }
            if (gate == 0 || !s.cas(FREE, IN_USE)) {
                return;
            }
        }
        dispatch(s);
    }

    @Override
    public void evictAll() {
        for (Slot<T> s : slots) {
            s.retired = true;
        }
        for (Slot<T> s : slots) {
            if (s.state == FREE && s.cas(FREE, RESERVED)) {
                discard(s, "evicted", true);
            }
        }
        LOG.info("pool '{}': evicting every resource", name);
    }

    // ------------------------------------------------------------------------------------------ close

    @Override
    public void close() {
        close(Duration.ofNanos(cfg.closeTimeout()));
    }

    @Override
    public boolean close(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        lock.lock();
        try {
            if (closeStarted) {
                return closeClean;
            }
            closeStarted = true;
            for (int g = gate; !GATE.compareAndSet(this, g, g | CLOSED); g = gate) {
                Thread.onSpinWait();
            }
        } finally {
            lock.unlock();
        }
        failWaiters(closedSupplier);
        for (Slot<T> s : slots) {
            if (s.state == FREE && s.cas(FREE, RESERVED)) {
                discard(s, "closed", false);
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        int outstanding;
        lock.lock();
        try {
            while (slots.length > 0 || destroying > 0 || creating > 0) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    break;
                }
                drained.awaitNanos(Math.min(remaining, MAX_PARK_SLICE * 10));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            outstanding = slots.length;
            lock.unlock();
        }
        int forced = 0;
        for (Slot<T> s : slots) {
            int st = s.state;
            if (st != REMOVED) {
                discard(s, "closed", false, false); // still leased: its borrower may be recording
                forced++;
            }
        }
        executor.shutdownNow();
        boolean clean = outstanding == 0;
        lock.lock();
        try {
            closeClean = clean;
        } finally {
            lock.unlock();
        }
        if (clean) {
            LOG.info("pool '{}' closed", name);
        } else {
            LOG.warn(
                    "pool '{}' closed with {} lease(s) still out after {} ms: their resources were destroyed",
                    name,
                    forced,
                    timeout.toMillis());
        }
        return clean;
    }

    // ---------------------------------------------------------------------------------------- metrics

    private void drainSlotMetrics(Slot<T> s) {
        metricsLock.lock();
        try {
            usageTotal.add(s.usage);
            s.usage.reset();
            long f = s.fastAcquires;
            waitTotal.recordValueWithCount(0, f - s.fastSeen);
            s.fastSeen = f;
        } finally {
            metricsLock.unlock();
        }
    }

    @Override
    public PoolMetrics metrics() {
        int active = 0;
        int idle = 0;
        Slot<T>[] ss = slots;
        for (Slot<T> s : ss) {
            int st = s.state;
            if (st == FREE || st == RESERVED) {
                idle++;
            } else if (st == IN_USE) {
                active++;
            }
        }
        int waiting = linkedWaiters();
        Distribution wait;
        Distribution usage;
        long acquired;
        metricsLock.lock();
        try {
            for (Slot<T> s : ss) {
                long f = s.fastAcquires;
                if (f > s.fastSeen) {
                    waitTotal.recordValueWithCount(0, f - s.fastSeen);
                    s.fastSeen = f;
                }
                // Leased slots are merged at a later snapshot (or when discarded): their owner writes.
                if (s.state == FREE && s.cas(FREE, RESERVED)) {
                    usageTotal.add(s.usage);
                    s.usage.reset();
                    putBack(s);
                }
            }
            waitTotal.add(waitRecorder.getIntervalHistogram());
            wait = summarize(waitTotal);
            usage = summarize(usageTotal);
            acquired = waitTotal.getTotalCount();
        } finally {
            metricsLock.unlock();
        }
        Distribution creation;
        lock.lock();
        try {
            creation = summarize(creationTimes);
        } finally {
            lock.unlock();
        }
        return new PoolMetrics(
                name,
                active,
                idle,
                active + idle,
                waiting,
                wait,
                usage,
                creation,
                acquired,
                timeouts.sum(),
                rejected.sum(),
                leaks.sum(),
                created.sum(),
                destroyed.sum(),
                creationFailures.sum(),
                validationFailures.sum());
    }

    private static Distribution summarize(Histogram h) {
        if (h.getTotalCount() == 0) {
            return Distribution.EMPTY;
        }
        return new Distribution(
                h.getTotalCount(),
                micros(h.getValueAtPercentile(50)),
                micros(h.getValueAtPercentile(99)),
                micros(h.getMaxValue()));
    }

    private static Duration micros(long us) {
        return Duration.ofNanos(us * 1000);
    }

    // ----------------------------------------------------------------------------------------- errors

    private String state() {
        int active = 0;
        int idle = 0;
        for (Slot<T> s : slots) {
            int st = s.state;
            if (st == FREE || st == RESERVED) {
                idle++;
            } else if (st == IN_USE) {
                active++;
            }
        }
        return active + " active, " + idle + " idle, " + linkedWaiters() + " waiting";
    }

    /**
     * The step of an acquire that found no free resource: fails fast while creation is failing, times out past
     * the deadline, or counts the caller in as a waiter ({@link #enter}).
     *
     * @return the failure to report, or null once the caller may wait
     */
    private PoolException refuseOrEnter(long deadline, long timeout, boolean atHead) {
        if (cfg.failFast() && creationFailing) {
            rejected.increment();
            lock.lock();
            try {
                ensureRetryLocked();
            } finally {
                lock.unlock();
            }
            return creationException("no resource idle and creation is failing");
        }
        if (deadline - cfg.clock().nanoTime() <= 0) {
            timeouts.increment();
            requestCreation();
            return exhausted("timed out after " + TimeUnit.NANOSECONDS.toMillis(timeout) + " ms");
        }
        int rc = enter(atHead);
        if (rc == REFUSED_CLOSED) {
            throw closedException();
        } else if (rc == REFUSED_FULL) {
            rejected.increment();
            return exhausted("wait queue full (maxWaiters " + cfg.maxWaiters() + ")");
        }
        return null;
    }

    private PoolExhaustedException exhausted(String bound) {
        Throwable cause = creationFailing ? lastCreationError : null;
        return new PoolExhaustedException("pool '" + name + "' exhausted: " + state() + ", " + bound, cause);
    }

    private ResourceCreationException creationException(String what) {
        Throwable last = lastCreationError;
        return new ResourceCreationException(
                "pool '" + name + "' cannot create a resource (" + what + "): " + state() + ", last error: " + last,
                last);
    }

    private PoolClosedException closedException() {
        return new PoolClosedException("pool '" + name + "' is closed");
    }

    @Override
    public String toString() {
        return "pool '" + name + "' (" + state() + ", max " + cfg.maxSize() + ")";
    }

    // ------------------------------------------------------------------------------------------ lease

    /** A lease: the borrowed slot plus the misuse checks of {@link Lease}. */
    static final class LeaseImpl<T> implements Lease<T> {
        private static final int ACTIVE = 0;
        private static final int CLOSED_STATE = 1;
        private static final int INVALIDATED = 2;

        private final FairPool<T> pool;
        private final Slot<T> slot;
        private final T resource;
        private int state;
        long borrowedAt;
        Throwable trace;
        volatile boolean leakReported;

        LeaseImpl(FairPool<T> pool, Slot<T> slot, T resource) {
            this.pool = pool;
            this.slot = slot;
            this.resource = resource;
        }

        @Override
        public T get() {
            if (state != ACTIVE) {
                throw new IllegalStateException("lease of pool '" + pool.name + "' used after "
                        + (state == CLOSED_STATE ? "close()" : "invalidate()"));
            }
            return resource;
        }

        @Override
        public void close() {
            if (state != ACTIVE) {
                if (state == INVALIDATED) {
                    return;
                }
                throw new IllegalStateException("lease of pool '" + pool.name + "' already closed");
            }
            state = CLOSED_STATE;
            pool.release(slot, this);
        }

        @Override
        public void invalidate() {
            if (state != ACTIVE) {
                throw new IllegalStateException("lease of pool '" + pool.name + "' already "
                        + (state == CLOSED_STATE ? "closed" : "invalidated"));
            }
            state = INVALIDATED;
            pool.invalidate(slot);
        }

        @Override
        public String toString() {
            return "Lease[" + pool.name + (state == ACTIVE ? ", active]" : ", returned]");
        }
    }
}
