package io.infrablocks.lb.internal;

import io.infrablocks.lb.Endpoint;
import io.infrablocks.lb.Request;
import io.infrablocks.lb.Selection;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The balancer's per-endpoint state. The {@link Selection}s a pick returns are preallocated {@link Handle}s,
 * one per endpoint and stripe (plus one per stripe reporting a rebinding), so a pick allocates nothing.
 *
 * <p>Concurrency: {@code status} is a set of bits changed by CAS ({@link #setBits}, {@link #clearBits});
 * 0 means healthy and attached, so the hot path tests one volatile int.
 *
 * <p>In-flight count, three forms chosen per strategy. <em>Exact</em> (not {@code striped}): one {@code
 * inFlight} int changed by atomic add (or CAS against a cap for bounded loads), for the strategies that
 * compare global counts (least-connections and least response time scan every member, bounded loads caps
 * each member). <em>Striped net</em> (the two P2C strategies): per {@link Stripes stripe} one count of the
 * calls picked on that stripe and still in flight, in the stripe's {@link Handle} (its own cache line), changed by atomic add at
 * the pick and atomic subtract at the completion (credited to the picking stripe, see below), so it is
 * exact per stripe: an extra completion is caught when it would take the stripe's count below zero, and
 * the sum over the stripes is the global count (no stripe's count is ever below its calls in flight, so
 * neither is the sum: draining never sees 0 with a call in flight). <em>Striped</em> (the others): per {@link Stripes stripe} three monotonic
 * counters in the stripe's {@link Handle} (its own cache line), so threads that pick and complete on different cores never
 * write the same line (a shared counter costs a cache-line transfer per pick with two threads): picks
 * (atomic add: its full fence orders the count before the pick re-reads the status, which draining needs),
 * completions by the stripe's owner (see {@link Stripes#mayClaim}) thread (a plain read and a release store: no
 * atomic instruction), and completions by other threads (atomic add). A completion is credited to the
 * stripe that <em>picked</em>, which the {@link Handle} carries, whichever thread completes it; so each
 * stripe's {@code picks − completions} is exactly the number of its own picks still in flight (the
 * monotonic counters make this exact modulo 2^32 once the racy reads settle). The global count is the sum
 * over the stripes; {@link #inFlight()} reads every completion counter before any pick counter, so a
 * completion it counts has its pick counted too (the pick happens-before the completion, whose store is
 * a release or a volatile read-modify-write): the result is never below the true count for correct use,
 * so a negative sum proves a selection was completed more often than picked, and draining never sees 0
 * with a call in flight. A completion sums all stripes only when its stripe shows more completions than
 * picks; with completions credited to the picking stripe that happens for every extra completion of a
 * stripe with nothing else in flight; an extra completion on a stripe with other picks outstanding goes
 * unnoticed and leaves that stripe and the sum one call short (the exact counter catches every one). An owner's completion
 * may become visible a moment after it re-reads the status, so it can miss that the endpoint just started
 * draining; {@code awaitDrained} re-checks every 10 ms rather than rely on that completion's signal.
 *
 * <p>Power of two choices compares the two candidates' load <em>as seen by the picking stripe</em>
 * ({@link #load(int)}): each stripe balances like an independent client that sees only its own
 * outstanding requests, which is how P2C runs distributed in Finagle, Linkerd and Envoy (every client or
 * worker thread its own balancer over its own pending counts), and Mitzenmacher's analysis ("The Power of
 * Two Choices in Randomized Load Balancing", IEEE TPDS 2001) applies to each stripe's stream of picks. With
 * one thread the stripe's count is the global count. Reading one's own stripe line keeps two picking
 * threads from transferring each other's counter lines on every pick.
 *
 * <p>The peak-EWMA pair ({@code cost}, {@code costStamp}) lives in the member for least response time and
 * per stripe in the {@link Handle}s for P2C peak EWMA: a completion feeds the estimate of the stripe that
 * picked, so each stripe is a P2C client with its own latency estimates of the endpoints, as each Finagle
 * or Linkerd client keeps its own (with one thread: the same estimates as one shared pair), and two
 * threads' completions do not write the same line. It is updated without a lock, by a racy
 * read-modify-write of two volatiles written with release stores (no store-load fence, which on x86 costs
 * as much as an atomic): two completions on the same endpoint at the same instant may lose one
 * of the two samples, and a reader may see a torn pair, which skews one decay; the estimator tolerates
 * both (Finagle takes a monitor here, which with two threads costs more than the rest of the completion).
 * The stamp only moves forward. The failure-rate window is guarded by this object's monitor. Everything else is volatile and
 * written on rare paths.
 */
public final class Member {

    /** Gets no new picks. */
    static final int DRAINING = 1;
    /** Ejected by passive outlier detection until {@link #ejectedUntil}. */
    static final int EJECTED = 2;
    /** Failed its active health check. */
    static final int DOWN = 4;
    /** Ramping up since {@link #slowStartBegin}. */
    static final int SLOW_START = 8;
    /** No longer a member. */
    static final int REMOVED = 16;

    static final VarHandle STATUS;
    static final VarHandle IN_FLIGHT;
    static final VarHandle CONSECUTIVE_FAILURES;
    static final VarHandle FAILURES;
    static final VarHandle COST;
    static final VarHandle COST_STAMP;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATUS = l.findVarHandle(Member.class, "status", int.class);
            IN_FLIGHT = l.findVarHandle(Member.class, "inFlight", int.class);
            CONSECUTIVE_FAILURES = l.findVarHandle(Member.class, "consecutiveFailures", int.class);
            FAILURES = l.findVarHandle(Member.class, "failures", long.class);
            COST = l.findVarHandle(Member.class, "cost", double.class);
            COST_STAMP = l.findVarHandle(Member.class, "costStamp", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final DefaultLoadBalancer lb;
    final String id;
    /** Hash of the id, the endpoint's identity for the hash strategies. */
    final long idHash;

    /** The preallocated selection of each stripe, holding the stripe's counters when striped. */
    private final Handle[] handles;
    /** The preallocated selection of each stripe that reports a rebinding. */
    private final Rebound[] rebounds;

    volatile Endpoint endpoint;
    volatile int weight;
    volatile int status;
    /** The exact in-flight count (when not {@link #striped}). */
    volatile int inFlight;
    /** Whether the in-flight count lives in the handles, per stripe. */
    final boolean striped;
    /**
     * Whether the striped counters are per-stripe net counts (P2C): {@link Handle#picks} is the number of
     * calls picked on the stripe and still in flight, changed by atomic add at pick and at completion; the
     * two completion counters stay 0.
     */
    final boolean net;

    volatile int consecutiveFailures;
    volatile long failures;
    volatile long ejectedUntil;
    volatile int ejections;
    volatile long slowStartBegin;

    // peak EWMA: racy read-modify-write, release stores (see the class comment)
    volatile double cost;
    volatile long costStamp;

    // failure-rate window, guarded by the monitor
    private long windowStart;
    private int windowCalls;
    private int windowFailures;

    // active health, confined to the (non-overlapping) check task of this member
    int checkSuccesses;
    int checkFailures;

    Member(DefaultLoadBalancer lb, Endpoint endpoint, boolean striped, boolean net) {
        this.lb = lb;
        this.striped = striped;
        this.net = striped && net;
        this.id = endpoint.id();
        this.idHash = Request.hash(endpoint.id());
        this.endpoint = endpoint;
        this.weight = endpoint.weight();
        this.handles = new Handle[Stripes.COUNT];
        for (int s = 0; s < Stripes.COUNT; s++) {
            handles[s] = new Handle(this, s);
        }
        this.rebounds = new Rebound[Stripes.COUNT];
        for (int s = 0; s < Stripes.COUNT; s++) {
            rebounds[s] = new Rebound(handles[s]);
        }
    }

    /** The selection of a pick counted on stripe {@code s}. */
    Handle handle(int s) {
        return handles[s];
    }

    /** The selection of a pick counted on stripe {@code s} that rebound a sticky key. */
    Rebound rebound(int s) {
        return rebounds[s];
    }

    boolean setBits(int bits) {
        for (; ; ) {
            int s = status;
            if ((s & bits) == bits) {
                return false;
            }
            if (STATUS.compareAndSet(this, s, s | bits)) {
                return true;
            }
        }
    }

    boolean clearBits(int bits) {
        for (; ; ) {
            int s = status;
            if ((s & bits) == 0) {
                return false;
            }
            if (STATUS.compareAndSet(this, s, s & ~bits)) {
                return true;
            }
        }
    }

    /**
     * The calls in flight: exact, or for striped counters a sum never below the true count.
     *
     * @return the count
     */
    int inFlight() {
        if (!striped) {
            return inFlight;
        }
        Handle[] hs = handles;
        int done = 0;
        for (Handle h : hs) {
            done += (int) OWNER_DONE.getVolatile(h) + (int) OTHER_DONE.getVolatile(h);
        }
        int picked = 0;
        for (Handle h : hs) {
            picked += (int) PICKS.getVolatile(h);
        }
        return picked - done;
    }

    /**
     * The load a pick on stripe {@code s} compares (see {@link Handle#load()}).
     *
     * @param s the picking thread's stripe
     * @return the count
     */
    int load(int s) {
        return striped ? handles[s].load() : inFlight;
    }

    /** Reserves one in-flight unit if fewer than {@code cap} are in flight (bounded loads). */
    boolean tryAcquire(int cap) {
        for (; ; ) {
            int v = inFlight;
            if (v >= cap) {
                return false;
            }
            if (IN_FLIGHT.compareAndSet(this, v, v + 1)) {
                return true;
            }
        }
    }

    /**
     * Finagle's peak EWMA: a sample above the estimate replaces it, others are averaged with decay. The
     * member's estimate (least response time); P2C keeps one per stripe in the handles ({@link
     * Handle#observe}).
     */
    void observe(long now, long latencyNanos) {
        double c = cost;
        long td = now - costStamp;
        double next = peakEwma(c, latencyNanos, td, lb.ewmaDecayNanos);
        if (next != c) {
            COST.setRelease(this, next);
        }
        if (td > 0) {
            COST_STAMP.setRelease(this, now);
        }
    }

    /**
     * The peak-EWMA rule, shared by the member's estimate and the per-stripe ones: a sample above the estimate
     * {@code c} replaces it; otherwise, if {@code td} ns passed since the last update, the two are averaged with
     * weight {@code exp(-td / decayNanos)} on the old estimate; else the estimate is unchanged.
     */
    static double peakEwma(double c, long latencyNanos, long td, long decayNanos) {
        double rtt = Math.max(0, latencyNanos);
        if (rtt > c) {
            return rtt;
        }
        if (td > 0) {
            double w = decay(td / (double) decayNanos);
            return c * w + rtt * (1 - w);
        }
        return c;
    }

    /** The estimate decayed to {@code now} (an idle endpoint slowly becomes attractive again). */
    double cost(long now) {
        return decayed(cost, costStamp, now, lb.ewmaDecayNanos);
    }

    static double decayed(double c, long stamp, long now, long decayNanos) {
        if (c == 0) {
            return 0;
        }
        long td = now - stamp;
        return td <= 0 ? c : c * decay(td / (double) decayNanos);
    }

    /**
     * The latency estimate for {@link io.infrablocks.lb.LoadBalancer#stats()}: the member's, or with
     * per-stripe estimates (P2C) the most recently updated stripe's.
     *
     * @return the estimate in nanoseconds
     */
    double costEstimate() {
        if (!net) {
            return cost;
        }
        Handle latest = handles[0];
        for (Handle h : handles) {
            if (h.costStamp - latest.costStamp > 0) {
                latest = h;
            }
        }
        return latest.cost;
    }

    /**
     * {@code exp(-x)} for x &gt;= 0; below 0.01 (the usual case: milliseconds against a 10 s time constant)
     * by its Taylor polynomial to x², whose error is under x³/6 &lt; 2e-7.
     */
    static double decay(double x) {
        return x < 0.01 ? 1 - x + x * x * 0.5 : Math.exp(-x);
    }

    /** Records one completion in the failure-rate window; returns the rate when a full window ended. */
    synchronized double recordWindow(long now, boolean failed, long windowNanos, int minimum) {
        if (windowCalls == 0 && windowStart == 0) {
            windowStart = now;
        }
        double rate = -1;
        if (now - windowStart >= windowNanos) {
            if (windowCalls >= minimum) {
                rate = windowFailures / (double) windowCalls;
            }
            windowStart = now;
            windowCalls = 0;
            windowFailures = 0;
        }
        windowCalls++;
        if (failed) {
            windowFailures++;
        }
        if (rate < 0 && windowCalls >= minimum) {
            // judge as soon as the minimum is reached inside the window
            rate = windowFailures / (double) windowCalls;
        }
        return rate;
    }

    synchronized void resetWindow(long now) {
        windowStart = now;
        windowCalls = 0;
        windowFailures = 0;
    }

    @Override
    public String toString() {
        return "Member[" + endpoint + ", inFlight=" + inFlight() + ", status=" + status + "]";
    }

    static final VarHandle PICKS;
    static final VarHandle OWNER_DONE;
    static final VarHandle OTHER_DONE;
    static final VarHandle OWNER;
    static final VarHandle HANDLE_COST;
    static final VarHandle HANDLE_COST_STAMP;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            PICKS = l.findVarHandle(HandleCounters.class, "picks", int.class);
            OWNER_DONE = l.findVarHandle(HandleCounters.class, "ownerDone", int.class);
            OTHER_DONE = l.findVarHandle(HandleCounters.class, "otherDone", int.class);
            OWNER = l.findVarHandle(HandleCounters.class, "owner", Thread.class);
            HANDLE_COST = l.findVarHandle(HandleCounters.class, "cost", double.class);
            HANDLE_COST_STAMP = l.findVarHandle(HandleCounters.class, "costStamp", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * 64 bytes of padding before a handle's counters (see {@link Handle}); the int fills the gap after the
     * object header, which the layout would otherwise give a subclass field.
     */
    abstract static class HandlePadBefore {
        int q;
        long p00, p01, p02, p03, p04, p05, p06, p07;
    }

    /** A handle's member, stripe and counters, on one cache line of their own. */
    abstract static class HandleCounters extends HandlePadBefore {
        final Member member;
        final int stripe;
        /** Striped: picks on this stripe (net: calls picked on this stripe and in flight). */
        int picks;
        /** Striped: completions of this stripe's picks by the stripe's owner thread. */
        int ownerDone;
        /** Striped: completions of this stripe's picks by other threads. */
        int otherDone;
        /** The thread that alone writes {@link #ownerDone} (see {@link Stripes#mayClaim}), or null. */
        Thread owner;
        /** P2C peak EWMA: this stripe's latency estimate of the member (see {@link Member#observe}). */
        double cost;
        /** P2C peak EWMA: when {@link #cost} was last updated. */
        long costStamp;

        HandleCounters(Member member, int stripe) {
            this.member = member;
            this.stripe = stripe;
        }
    }

    /** 64 bytes of padding after a handle's counters. */
    abstract static class HandlePadAfter extends HandleCounters {
        long p10, p11, p12, p13, p14, p15, p16, p17;

        HandlePadAfter(Member member, int stripe) {
            super(member, stripe);
        }
    }

    /**
     * The preallocated {@link Selection} of one member and one stripe, and the stripe's in-flight counters
     * for that member (when the member is {@link #striped}). A pick counts itself on its thread's stripe
     * and returns that stripe's handle; the completion is credited to the handle's stripe, whichever thread
     * makes it. The member, the stripe and the counters sit between 64-byte paddings (HotSpot lays out
     * superclass fields first; with compressed oops they are at offsets 80 to 119 of a 184-byte object), so
     * no two stripes' counters share a cache line and a completion touches one line of the handle.
     */
    static final class Handle extends HandlePadAfter implements Selection {

        Handle(Member member, int stripe) {
            super(member, stripe);
        }

        /** Counts one call in flight, picked on this handle's stripe. */
        void acquire() {
            Member m = member;
            if (m.striped) {
                PICKS.getAndAdd(this, 1);
            } else {
                IN_FLIGHT.getAndAdd(m, 1);
            }
        }

        /**
         * Counts one call completed.
         *
         * @return false if that made the count negative (the counter is then restored)
         */
        boolean releaseChecked() {
            Member m = member;
            if (!m.striped) {
                if ((int) IN_FLIGHT.getAndAdd(m, -1) <= 0) {
                    IN_FLIGHT.getAndAdd(m, 1);
                    return false;
                }
                return true;
            }
            if (m.net) {
                // the stripe's count is exact: it drops below zero only on an extra completion
                if ((int) PICKS.getAndAdd(this, -1) <= 0) {
                    PICKS.getAndAdd(this, 1);
                    return false;
                }
                return true;
            }
            boolean owner = owns();
            countCompletion(owner, 1);
            int n = (int) PICKS.getAcquire(this)
                    - (int) OWNER_DONE.getAcquire(this)
                    - (int) OTHER_DONE.getAcquire(this);
            if (n >= 0 || m.inFlight() >= 0) {
                return true;
            }
            countCompletion(owner, -1);
            return false;
        }

        /** Whether the calling thread owns {@link #ownerDone}, claiming it if it may. */
        private boolean owns() {
            Thread t = Thread.currentThread();
            Thread o = (Thread) OWNER.getAcquire(this);
            return o == t || (Stripes.mayClaim(o, t, stripe) && OWNER.compareAndSet(this, o, t));
        }

        private void countCompletion(boolean owner, int delta) {
            if (owner) {
                OWNER_DONE.setRelease(this, ownerDone + delta);
            } else {
                OTHER_DONE.getAndAdd(this, delta);
            }
        }

        /** Counts one call completed without the misuse check (a pick backing out). */
        void uncount() {
            Member m = member;
            if (!m.striped) {
                IN_FLIGHT.getAndAdd(m, -1);
            } else if (m.net) {
                PICKS.getAndAdd(this, -1);
            } else {
                countCompletion(owns(), 1);
            }
        }

        /**
         * The calls picked on this stripe and not yet completed (completions are credited to the picking
         * stripe), read racily with plain reads of the stripe's own cache line (int reads are atomic; a pick
         * reads each once, so a stale value only skews that one comparison, as any racy load signal does).
         *
         * @return the count
         */
        int load() {
            return member.net ? picks : picks - ownerDone - otherDone;
        }

        /**
         * P2C peak EWMA: feeds this stripe's estimate of the member, as {@link Member#observe} does the
         * member's. Only completions of this stripe's picks write it, so with one thread per stripe no other
         * core writes this line.
         */
        void observe(long now, long latencyNanos) {
            double c = cost;
            long td = now - costStamp;
            double next = peakEwma(c, latencyNanos, td, member.lb.ewmaDecayNanos);
            if (next != c) {
                HANDLE_COST.setRelease(this, next);
            }
            if (td > 0) {
                HANDLE_COST_STAMP.setRelease(this, now);
            }
        }

        /** This stripe's estimate decayed to {@code now}. */
        double cost(long now) {
            return decayed(cost, costStamp, now, member.lb.ewmaDecayNanos);
        }

        @Override
        public Endpoint endpoint() {
            return member.endpoint;
        }

        @Override
        public boolean rebound() {
            return false;
        }

        @Override
        public void success(long latencyNanos) {
            member.lb.complete(this, true, latencyNanos);
        }

        @Override
        public void failure(long latencyNanos) {
            member.lb.complete(this, false, latencyNanos);
        }

        @Override
        public void release() {
            member.lb.release(this);
        }

        @Override
        public String toString() {
            return "Selection[" + member.endpoint + "]";
        }
    }

    /** The same selection as a {@link Handle}, reporting that a sticky key was rebound to it. */
    static final class Rebound implements Selection {
        final Handle handle;

        Rebound(Handle handle) {
            this.handle = handle;
        }

        @Override
        public Endpoint endpoint() {
            return handle.member.endpoint;
        }

        @Override
        public boolean rebound() {
            return true;
        }

        @Override
        public void success(long latencyNanos) {
            handle.member.lb.complete(handle, true, latencyNanos);
        }

        @Override
        public void failure(long latencyNanos) {
            handle.member.lb.complete(handle, false, latencyNanos);
        }

        @Override
        public void release() {
            handle.member.lb.release(handle);
        }

        @Override
        public String toString() {
            return "Selection[" + handle.member.endpoint + ", rebound]";
        }
    }
}
