package io.infrablocks.lb.internal;

/**
 * One strategy's immutable view of one membership snapshot, and the snapshot itself ({@link #members}):
 * rebuilt (copy-on-write) on every membership or weight change and published through one volatile write,
 * so a pick reaches the strategy's tables in one load from the balancer and {@link #pick} reads plain final
 * fields. Shared mutable state (a round-robin cursor) lives in the {@link PickerFactory} and
 * survives rebuilds. A picker consults the balancer for each candidate's health ({@link
 * DefaultLoadBalancer#admit}, {@link DefaultLoadBalancer#usable}) and walks to its own next candidate when
 * one is refused: that is the failover of every strategy.
 */
abstract class Picker {

    final Member[] members;
    /** Whether the picker reads the request hash (a keyless request then gets a random one). */
    final boolean usesHash;
    /** Whether {@link #pick} already reserved the in-flight unit (bounded loads, by CAS). */
    final boolean acquires;
    /** Whether this is the snapshot of a closed balancer ({@link Closed}). */
    final boolean closed;
    /**
     * Whether {@link #pickHandle} skips the health checks: it may return a member whose status is not 0, and
     * the caller, which re-reads the status after counting the call anyway, then backs out and picks again
     * with {@link #pickHandleChecked}. This takes the status reads off the path to the count. Such a picker
     * never reserves the in-flight unit itself (not {@link #acquires}), and a balancer publishes one only when
     * its members count per stripe.
     */
    final boolean unchecked;
    /**
     * How a pick goes, so the usual case is one load and one compare: {@link #ROUTE_OTHER}, or, when the
     * balancer is open and has no sticky table, straight to {@link #pickHandle}, keyless (hash 0) or not, with the
     * selection {@link #unchecked} or not ({@link #ROUTE_KEYLESS_UNCHECKED} to {@link #ROUTE_HASHED}). Set by the
     * balancer before it publishes the picker (its volatile write publishes this too); {@link #ROUTE_OTHER} on a
     * picker that was never published.
     */
    int route;

    /** {@link #route}: closed, or a sticky table; every check in turn. */
    static final int ROUTE_OTHER = 0;
    /** {@link #route}: straight to an {@link #unchecked} pick with hash 0. */
    static final int ROUTE_KEYLESS_UNCHECKED = 1;
    /** {@link #route}: straight to an {@link #unchecked} pick with the request's hash. */
    static final int ROUTE_HASHED_UNCHECKED = 2;
    /** {@link #route}: straight to a checked pick with hash 0. */
    static final int ROUTE_KEYLESS = 3;
    /** {@link #route}: straight to a checked pick with the request's hash. */
    static final int ROUTE_HASHED = 4;

    /** The {@link #route} of this picker on an open balancer, with or without a sticky table. */
    final int route(boolean sticky) {
        if (sticky || closed) {
            return ROUTE_OTHER;
        }
        if (unchecked) {
            return usesHash ? ROUTE_HASHED_UNCHECKED : ROUTE_KEYLESS_UNCHECKED;
        }
        return usesHash ? ROUTE_HASHED : ROUTE_KEYLESS;
    }

    Picker(Member[] members, boolean usesHash, boolean acquires) {
        this(members, usesHash, acquires, false, false);
    }

    Picker(Member[] members, boolean usesHash, boolean acquires, boolean unchecked) {
        this(members, usesHash, acquires, unchecked, false);
    }

    private Picker(Member[] members, boolean usesHash, boolean acquires, boolean unchecked, boolean closed) {
        if (unchecked && acquires) {
            throw new IllegalArgumentException("an unchecked picker must leave the count to the caller");
        }
        this.members = members;
        this.usesHash = usesHash;
        this.acquires = acquires;
        this.unchecked = unchecked;
        this.closed = closed;
    }

    /** The snapshot a closed balancer publishes: its last members, and no picks. */
    static final class Closed extends Picker {
        Closed(Member[] members) {
            super(members, false, false, false, true);
        }

        @Override
        Member pick(DefaultLoadBalancer lb, long hash, int stripe) {
            return null;
        }
    }

    /**
     * Chooses a member.
     *
     * @param lb the balancer (health, randomness, clock)
     * @param hash the request's hash (random for a keyless request when {@link #usesHash})
     * @param stripe the calling thread's {@link Stripes stripe}
     * @return the member, or null when none may take the call
     */
    abstract Member pick(DefaultLoadBalancer lb, long hash, int stripe);

    /**
     * Chooses a member and returns its handle for the stripe (the selection the pick returns); pickers that
     * read the handles anyway override this.
     *
     * @param lb the balancer (health, randomness, clock)
     * @param hash the request's hash (random for a keyless request when {@link #usesHash})
     * @param stripe the calling thread's {@link Stripes stripe}
     * @return the member's handle for {@code stripe}, or null when no member may take the call
     */
    Member.Handle pickHandle(DefaultLoadBalancer lb, long hash, int stripe) {
        Member m = pick(lb, hash, stripe);
        return m == null ? null : m.handle(stripe);
    }

    /**
     * {@link #pickHandle} with every candidate's health checked before it is returned: what a pick falls back to
     * when an {@link #unchecked} pick chose a member that may not take the call. The same as {@link
     * #pickHandle} for pickers that check anyway.
     *
     * @param lb the balancer (health, randomness, clock)
     * @param hash the request's hash (random for a keyless request when {@link #usesHash})
     * @param stripe the calling thread's {@link Stripes stripe}
     * @return the member's handle for {@code stripe}, or null when no member may take the call
     */
    Member.Handle pickHandleChecked(DefaultLoadBalancer lb, long hash, int stripe) {
        return pickHandle(lb, hash, stripe);
    }

    /** log2 of {@link Stripes#COUNT}. */
    static final int STRIPE_BITS = Integer.numberOfTrailingZeros(Stripes.COUNT);

    /**
     * Every member's handle for every stripe, member-major: element {@code (i << STRIPE_BITS) | s} is {@code
     * members[i].handle(s)}, so a picker that has chosen index {@code i} reaches the selection with one array
     * read (a shift and an or) rather than through the member's own handle array: one dependent load less on
     * the way to the pick's atomic add, and the member and the handle load in parallel.
     */
    static Member.Handle[] handleTable(Member[] ms) {
        int n = ms.length;
        Member.Handle[] out = new Member.Handle[Stripes.COUNT * n];
        for (int i = 0; i < n; i++) {
            for (int s = 0; s < Stripes.COUNT; s++) {
                out[(i << STRIPE_BITS) | s] = ms[i].handle(s);
            }
        }
        return out;
    }

    /**
     * What {@link #admitFrom} returns once {@code ms[start]} has been refused: the next admitted member
     * after it (wrapping), else the first usable from {@code start}; null if none.
     */
    static Member admitAfter(DefaultLoadBalancer lb, Member[] ms, int start) {
        int n = ms.length;
        int i = start;
        for (int k = 1; k < n; k++) {
            if (++i == n) {
                i = 0;
            }
            Member m = ms[i];
            if (lb.admit(m)) {
                return m;
            }
        }
        return scan(lb, ms, start);
    }

    /**
     * The first member from {@code start} (wrapping) that {@link DefaultLoadBalancer#admit admits} the call, slow
     * start included; if none does, the first that may take a call at all ({@link #scan}); null if none.
     */
    static Member admitFrom(DefaultLoadBalancer lb, Member[] ms, int start) {
        int n = ms.length;
        int i = start;
        for (int k = 0; k < n; k++) {
            Member m = ms[i];
            if (lb.admit(m)) {
                return m;
            }
            if (++i == n) {
                i = 0;
            }
        }
        return scan(lb, ms, start);
    }

    /** The first member from {@code start} that may take a call, ignoring slow start; null if none. */
    static Member scan(DefaultLoadBalancer lb, Member[] ms, int start) {
        int n = ms.length;
        int i = start;
        for (int k = 0; k < n; k++) {
            Member m = ms[i];
            if (lb.usable(m)) {
                return m;
            }
            if (++i == n) {
                i = 0;
            }
        }
        return null;
    }

    /** Lemire's multiply-shift reduction of the high 32 bits of {@code hash} into [0, n). */
    static int reduce(long hash, int n) {
        return (int) (((hash >>> 32) * n) >>> 32);
    }
}
