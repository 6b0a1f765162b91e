package io.infrablocks.lb.internal;

import io.infrablocks.lb.Endpoint;

/**
 * The fields of a {@link Member} that picks and completions read, declared in a superclass because HotSpot
 * lays out superclass fields first: together they take the first 44 bytes of the member (with compressed
 * oops), so a pick usually reads one cache line of the member rather than two or three (the rest of the
 * member, written on failures, ejections and health checks, sits after them). With 100 endpoints and two
 * threads the lines a rotation walks then stay in the L1 cache. See {@link Member} for what each field means
 * and how it is written.
 */
abstract class MemberHead {

    final DefaultLoadBalancer lb;
    /** Whether the in-flight count lives in the handles, per stripe. */
    final boolean striped;
    /**
     * Whether each stripe keeps its own peak-EWMA estimate of the member in its {@link Member.Handle} (P2C:
     * each stripe balances as an independent client).
     */
    final boolean stripeCosts;
    /** The preallocated selection of each stripe, holding the stripe's counters when striped. */
    final Member.Handle[] handles = new Member.Handle[Stripes.COUNT];

    volatile Endpoint endpoint;
    volatile int weight;
    volatile int status;
    /** The exact in-flight count (when not {@link #striped}). */
    volatile int inFlight;

    volatile int consecutiveFailures;

    MemberHead(DefaultLoadBalancer lb, Endpoint endpoint, boolean striped, boolean stripeCosts) {
        this.lb = lb;
        this.striped = striped;
        this.stripeCosts = striped && stripeCosts;
        this.endpoint = endpoint;
        this.weight = endpoint.weight();
    }
}
