package io.infrablocks.lb.internal;

import io.infrablocks.lb.Endpoint;
import io.infrablocks.lb.Request;
import io.infrablocks.lb.Selection;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The balancer's per-endpoint state. The {@link Selection}s a pick returns are preallocated {@link Handle}s,
 * one per endpoint and stripe (plus one per stripe reporting a rebinding), so a pick allocates nothing.
 *
 * <p>Concurrency: {@code status} is a set of bits changed by CAS ({@link #setBits}, {@link #clearBits});
 * 0 means healthy and attached, so the hot path tests one volatile int.
 *
 * <p>In-flight count, two forms chosen per strategy. <em>Exact</em> (not {@code striped}): one {@code
 * inFlight} int changed by atomic add (or CAS against a cap for bounded loads), for the strategies that
 * compare global counts (least-connections and least response time scan every member, bounded loads caps
 * each member). <em>Striped</em> (all the others): per {@link Stripes stripe} two counters in the stripe's
 * {@link Handle} (its own cache line), so threads that pick and complete on different cores never write
 * the same line (a shared counter costs a cache-line transfer per pick with two threads): {@code picks},
 * changed by atomic add at every pick (its full fence orders the count before the pick re-reads the
 * status, which draining needs) and by atomic subtract at a completion made by a thread other than the
 * stripe's owner; and {@code ownerDone}, the completions made by the stripe's owner thread (see {@link
 * Stripes#mayClaim}), which only that thread writes, with a plain read and a release store (no atomic
 * instruction). A completion is credited to the stripe that <em>picked</em>, which the {@link Handle}
 * carries, whichever thread completes it; so each stripe's {@code picks − ownerDone} is exactly the number
 * of its own picks still in flight (modulo 2^32 once the racy reads settle), and the global count is the
 * sum over the stripes. Every read of a stripe's count (the completion's misuse check, {@link #inFlight()})
 * reads {@code ownerDone} (acquire) before {@code picks}: an owner completion it counts has its pick
 * counted too (the pick happens-before the completion, whose store is a release), and a non-owner
 * completion subtracts from {@code picks} itself, after its pick in that counter's modification order; so
 * the result is never below the true count for correct use. Hence a completion that takes its stripe's
 * count below zero proves the selection was completed more often than picked (it is undone and refused),
 * and draining never sees 0 with a call in flight. An extra completion on a stripe with other picks
 * outstanding goes unnoticed until the stripe's count would go below zero (the exact counter catches every
 * one the same way). An owner's completion may become visible a moment after it re-reads the status, so
 * it can miss that the endpoint just started draining; {@code awaitDrained} re-checks every 10 ms rather
 * than rely on that completion's signal.
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
 * both (Finagle takes a monitor here, which with two threads costs more than the rest of the completion). Each handle
 * also keeps the estimate over its weight ({@code score}), which the pick compares. It is written after each change of
 * the estimate or the weight; a re-weight racing with an update ends on the new weight (volatile accesses on both
 * sides, on those rare paths only, see {@code Handle.setScore}). A stamp only moves forward while its estimate has a
 * sample (a stripe's is odd without one, see {@code HandleHot.costStamp}). The failure-rate
 * window is guarded by this object's monitor. Everything else is volatile and written on rare paths.
 */
final class Member extends MemberHead {

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
            STATUS = l.findVarHandle(MemberHead.class, "status", int.class);
            IN_FLIGHT = l.findVarHandle(MemberHead.class, "inFlight", int.class);
            CONSECUTIVE_FAILURES = l.findVarHandle(MemberHead.class, "consecutiveFailures", int.class);
            FAILURES = l.findVarHandle(Member.class, "failures", long.class);
            COST = l.findVarHandle(Member.class, "cost", double.class);
            COST_STAMP = l.findVarHandle(Member.class, "costStamp", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final String id;
    /** Hash of the id, the endpoint's identity for the hash strategies. */
    final long idHash;

    /** The preallocated selection of each stripe that reports a rebinding. */
    private final Rebound[] rebounds;

    // endpoint, weight, status, inFlight, consecutiveFailures, lb, striped, stripeCosts and handles: in
    // MemberHead (the fields of the hot path, laid out first)
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

    Member(DefaultLoadBalancer lb, Endpoint endpoint, boolean striped, boolean stripeCosts) {
        super(lb, endpoint, striped, stripeCosts);
        this.id = endpoint.id();
        this.idHash = Request.hash(endpoint.id());
        for (int s = 0; s < Stripes.COUNT; s++) {
            handles[s] = lb == null ? new Handle(this, s, !striped) : lb.newHandle(this, s, !striped);
        }
        this.rebounds = new Rebound[Stripes.COUNT];
        for (int s = 0; s < Stripes.COUNT; s++) {
            rebounds[s] = new Rebound(handles[s]);
        }
    }

    /** Sets the weight, here and in every handle ({@link HandleCounters#weight}); under the balancer's write lock. */
    void setWeight(int w) {
        weight = w;
        for (Handle h : handles) {
            h.setWeight(w);
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
            done += (int) OWNER_DONE.getVolatile(h);
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
        if (td > 0 || c == 0) { // the first sample stamps whatever the clock reads (it may read below 0)
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
        if (!stripeCosts) {
            return cost;
        }
        Handle latest = null;
        for (Handle h : handles) {
            // stripes without a sample have no reading for a stamp (an odd counter value, see HandleHot.costStamp)
            if (h.cost != 0 && (latest == null || h.costStamp - latest.costStamp > 0)) {
                latest = h;
            }
        }
        return latest == null ? 0 : latest.cost;
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
    static final VarHandle OWNER;
    static final VarHandle HANDLE_COST;
    static final VarHandle HANDLE_COST_STAMP;
    static final VarHandle HANDLE_SCORE;
    static final VarHandle HANDLE_WEIGHT_D;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            PICKS = l.findVarHandle(HandleHot.class, "picks", int.class);
            OWNER_DONE = l.findVarHandle(HandleHot.class, "ownerDone", int.class);
            OWNER = l.findVarHandle(HandleCounters.class, "owner", Thread.class);
            HANDLE_COST = l.findVarHandle(HandleCounters.class, "cost", double.class);
            HANDLE_COST_STAMP = l.findVarHandle(HandleHot.class, "costStamp", long.class);
            HANDLE_SCORE = l.findVarHandle(HandleHot.class, "score", double.class);
            HANDLE_WEIGHT_D = l.findVarHandle(HandleCounters.class, "weightD", double.class);
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

    /**
     * The fields a P2C pick compares, first and together (24 bytes for peak EWMA, 12 for least connections), so a
     * candidate's comparison reads one cache line at most offsets (HotSpot lays out superclass fields first).
     */
    abstract static class HandleHot extends HandlePadBefore {
        /** The stamps of handles without a sample: odd, each used once (2^62 of them before one repeats). */
        static final AtomicLong UNSAMPLED = new AtomicLong(1);

        /**
         * P2C peak EWMA: {@link HandleCounters#cost} divided by the weight, so a pick compares two products
         * instead of four. Written after every change of the cost or the weight (volatile), see {@code
         * Handle.setScore}; 0 until the first sample.
         */
        double score;
        /**
         * P2C: when {@link HandleCounters#cost} was last updated, the clock's reading with its lowest bit cleared; odd
         * (and unique to the handle, from {@link #UNSAMPLED}) while the cost is 0, before the first sample. So two
         * handles' stamps are equal only if both have a sample and were updated at the same tick, and a pick tests
         * for a missing sample only when the stamps differ ({@code TwoChoices.lighterByCost}).
         */
        long costStamp = UNSAMPLED.getAndAdd(2);
        /**
         * Striped: picks on this stripe (atomic add) less the completions of those picks by threads other
         * than {@link HandleCounters#owner} (atomic subtract).
         */
        int picks;
        /** Striped: completions of this stripe's picks by {@link HandleCounters#owner} (plain read, release store). */
        int ownerDone;
        /**
         * A copy of the member's weight (P2C compares it on this line rather than in another array), written
         * with {@link Member#weight} under the balancer's write lock before the new snapshot is published; a
         * racy read sees the old or the new weight.
         */
        int weight;
    }

    /** A handle's member, stripe and counters, on one cache line of their own. */
    abstract static class HandleCounters extends HandleHot {
        final Member member;
        final int stripe;
        /** The member's balancer (the completion's first step, one load from the selection). */
        final DefaultLoadBalancer lb;
        /** The balancer's {@link DefaultLoadBalancer#ewmaClock}: a completion reads it in one load, not two. */
        final CoarseClock clock;
        /** Whether the member keeps the exact count (not {@link Member#striped}): the counters here stay 0. */
        final boolean exact;
        /** {@link #weight} as a double (the divisor of {@link #score}), written with it (volatile). */
        double weightD;
        /** The thread that alone writes {@link #ownerDone} (see {@link Stripes#mayClaim}), or null. */
        Thread owner;
        /** P2C: this stripe's latency estimate of the member (see {@link Member#observe}). */
        double cost;

        HandleCounters(Member member, int stripe, boolean exact) {
            this.member = member;
            this.lb = member.lb;
            this.clock = lb == null ? null : lb.ewmaClock; // no balancer: a picker's unit test
            this.stripe = stripe;
            this.exact = exact;
            this.weight = member.weight;
            this.weightD = member.weight;
        }
    }

    /** 64 bytes of padding after a handle's counters. */
    abstract static class HandlePadAfter extends HandleCounters {
        long p10, p11, p12, p13, p14, p15, p16, p17;

        HandlePadAfter(Member member, int stripe, boolean exact) {
            super(member, stripe, exact);
        }
    }

    /**
     * The preallocated {@link Selection} of one member and one stripe, and the stripe's in-flight counters for that
     * member (when the member is {@link #striped}). A pick counts itself on its thread's stripe and returns that
     * stripe's handle; the completion is credited to the handle's stripe, whichever thread makes it. The member, the
     * balancer, the stripe, the weight and the counters sit between 64-byte paddings (HotSpot lays out superclass
     * fields first; with compressed oops they are at offsets 80 to 147 of a 216-byte object, those a P2C pick compares
     * at 80 to 107, see {@link HandleHot}), so no two stripes' counters share a cache line; a completion touches one or
     * two lines of the handle (objects are aligned to 8 bytes, not to lines). A balancer whose usual success needs no
     * decision per call makes its handles of a subclass that goes straight to that success ({@link PlainHandle}, {@link
     * StripeCostHandle}; Caffeine generates its node classes per configuration for the same reason): a caller's {@code
     * success} call site then sees one class.
     */
    static class Handle extends HandlePadAfter implements Selection {

        Handle(Member member, int stripe, boolean exact) {
            super(member, stripe, exact);
        }

        /** Counts one call in flight, picked on this handle's stripe. */
        final void acquire() {
            if (exact) {
                IN_FLIGHT.getAndAdd(member, 1);
            } else {
                PICKS.getAndAdd(this, 1);
            }
        }

        /**
         * {@link #acquire} on a striped member (every member of an unchecked picker's balancer, see {@link
         * Picker#unchecked}).
         */
        final void acquireStriped() {
            PICKS.getAndAdd(this, 1);
        }

        /**
         * Counts one call completed.
         *
         * @return false if that made the count negative (the counter is then restored)
         */
        final boolean releaseChecked() {
            Thread t = Thread.currentThread();
            if ((Thread) OWNER.getAcquire(this) == t) {
                return ownerRelease(); // the usual case first (an exact handle never has an owner)
            }
            return releaseOther(t);
        }

        /** A completion by the owner of {@link #ownerDone}: a plain read and a release store, checked. */
        private boolean ownerRelease() {
            int done = ownerDone + 1;
            OWNER_DONE.setRelease(this, done);
            // picks read after the owner's own ownerDone: it counts the pick of every completion in done
            if ((int) PICKS.getAcquire(this) - done >= 0) {
                return true;
            }
            OWNER_DONE.setRelease(this, done - 1);
            return false;
        }

        /** {@link #releaseChecked} by a thread that does not own {@link #ownerDone} yet, or on an exact count. */
        private boolean releaseOther(Thread t) {
            if (exact) {
                Member m = member;
                if ((int) IN_FLIGHT.getAndAdd(m, -1) <= 0) {
                    IN_FLIGHT.getAndAdd(m, 1);
                    return false;
                }
                return true;
            }
            if (owns(t)) {
                return ownerRelease();
            }
            // ownerDone read before picks (see the class comment)
            int done = (int) OWNER_DONE.getAcquire(this);
            if ((int) PICKS.getAndAdd(this, -1) - 1 - done >= 0) {
                return true;
            }
            PICKS.getAndAdd(this, 1);
            return false;
        }

        /** Whether thread {@code t}, the calling thread, owns {@link #ownerDone}, claiming it if it may. */
        private boolean owns(Thread t) {
            Thread o = (Thread) OWNER.getAcquire(this);
            return o == t || (Stripes.mayClaim(o, t, stripe) && OWNER.compareAndSet(this, o, t));
        }

        /** Counts one call completed without the misuse check (a pick backing out). */
        final void uncount() {
            if (exact) {
                IN_FLIGHT.getAndAdd(member, -1);
            } else if (owns(Thread.currentThread())) {
                OWNER_DONE.setRelease(this, ownerDone + 1);
            } else {
                PICKS.getAndAdd(this, -1);
            }
        }

        /**
         * The calls picked on this stripe and not yet completed (completions are credited to the picking
         * stripe), read racily with plain reads of the stripe's own cache line (int reads are atomic; a pick
         * reads each once, so a stale value only skews that one comparison, as any racy load signal does).
         *
         * @return the count
         */
        final int load() {
            return picks - ownerDone;
        }

        /**
         * P2C peak EWMA: feeds this stripe's estimate of the member, as {@link Member#observe} does the
         * member's. Only completions of this stripe's picks write it, so with one thread per stripe no other
         * core writes this line. The stamp keeps {@code now} with its lowest bit cleared (see {@link #costStamp}); the
         * estimate decays from one stamp to the next, so a nanosecond lost in each changes nothing a 10 s time
         * constant could show.
         */
        final void observe(long now, long latencyNanos) {
            double c = cost;
            long t = now & ~1L;
            long td = t - costStamp; // without a sample (c == 0) only its sign is used, and only for a sample of 0
            if (td <= 0 && latencyNanos <= c) {
                return; // the usual case between clock ticks: a sample within the estimate changes nothing
            }
            double next = peakEwma(c, latencyNanos, td, lb.ewmaDecayNanos);
            if (next != c) {
                HANDLE_COST.setVolatile(this, next); // before the weight is read: see setScore
                setScore(next);
            }
            if (next == 0) {
                // no sample above 0 yet, or one decayed to 0: unsampled again, with a stamp of its own
                if (c != 0) {
                    HANDLE_COST_STAMP.setRelease(this, UNSAMPLED.getAndAdd(2));
                }
            } else if (td > 0 || c == 0) { // the first sample stamps whatever the clock reads (it may read below 0)
                HANDLE_COST_STAMP.setRelease(this, t);
            }
        }

        /**
         * Sets {@link #score} to {@code c} (just written to {@link #cost}) over the weight, again if the weight
         * changed meanwhile. {@link #setWeight} writes the weight, then writes the score from the cost, again if the
         * cost changed meanwhile. Every access on both sides is volatile (sequentially consistent, on these rare
         * paths only), so the last score written is the last cost over the last weight: whichever side writes last
         * has read the other's latest value (two updates of one handle racing each other may still lose one sample,
         * see the class comment).
         */
        private void setScore(double c) {
            for (; ; ) {
                double w = (double) HANDLE_WEIGHT_D.getVolatile(this);
                HANDLE_SCORE.setVolatile(this, c / w);
                if ((double) HANDLE_WEIGHT_D.getVolatile(this) == w) {
                    return;
                }
            }
        }

        /**
         * The other side of {@link #setScore}: writes the weight, then the score from the cost (while there is one),
         * again if an update changed the cost meanwhile. Under the balancer's write lock ({@link Member#setWeight}).
         */
        final void setWeight(int w) {
            weight = w;
            HANDLE_WEIGHT_D.setVolatile(this, (double) w);
            for (double c = (double) HANDLE_COST.getVolatile(this); c != 0; ) {
                HANDLE_SCORE.setVolatile(this, c / w);
                double again = (double) HANDLE_COST.getVolatile(this);
                if (again == c) {
                    return;
                }
                c = again;
            }
        }

        /** This stripe's estimate decayed to {@code now}. */
        final double cost(long now) {
            return decayed(cost, costStamp, now, lb.ewmaDecayNanos);
        }

        @Override
        public final Endpoint endpoint() {
            return member.endpoint;
        }

        @Override
        public final boolean rebound() {
            return false;
        }

        @Override
        public void success(long latencyNanos) {
            lb.complete(this, true, latencyNanos);
        }

        @Override
        public final void failure(long latencyNanos) {
            lb.complete(this, false, latencyNanos);
        }

        @Override
        public final void release() {
            lb.release(this);
        }

        @Override
        public final String toString() {
            return "Selection[" + member.endpoint + "]";
        }
    }

    /**
     * A {@link Handle} of a balancer whose usual success only counts the completion ({@link
     * DefaultLoadBalancer#succeedPlain}): the completion's configuration is in the class, not tested per call.
     */
    static final class PlainHandle extends Handle {
        PlainHandle(Member member, int stripe, boolean exact) {
            super(member, stripe, exact);
        }

        @Override
        public void success(long latencyNanos) {
            DefaultLoadBalancer.succeedPlain(this, latencyNanos);
        }
    }

    /**
     * A {@link Handle} of a P2C peak-EWMA balancer without a failure-rate window, whose usual success feeds the
     * stripe's estimate and counts the completion ({@link DefaultLoadBalancer#succeedStripeCost}).
     */
    static final class StripeCostHandle extends Handle {
        StripeCostHandle(Member member, int stripe, boolean exact) {
            super(member, stripe, exact);
        }

        @Override
        public void success(long latencyNanos) {
            DefaultLoadBalancer.succeedStripeCost(this, latencyNanos);
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
            handle.success(latencyNanos);
        }

        @Override
        public void failure(long latencyNanos) {
            handle.failure(latencyNanos);
        }

        @Override
        public void release() {
            handle.release();
        }

        @Override
        public String toString() {
            return "Selection[" + handle.member.endpoint + ", rebound]";
        }
    }
}
