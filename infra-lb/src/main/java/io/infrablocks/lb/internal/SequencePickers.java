package io.infrablocks.lb.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Round-robin and nginx smooth weighted round-robin.
 *
 * <p>Round-robin: a cursor ({@link #next}) indexes the members; a refused member passes the turn to the next one.
 * The cursor is <em>per thread</em>, as Envoy keeps one rotation per worker thread: one slot per {@link
 * Stripes stripe}, each on its own cache line, so two threads picking at once never write the same line (a
 * shared cursor costs a cache-line transfer per pick, 20× the pick itself with two threads). Hence the
 * exactness guarantees hold <em>per thread</em>: every thread's own picks follow the rotation (and the
 * weighted schedule) exactly over each full period, so a single thread sees the exact nginx sequence; with
 * several threads the union of their picks is a merge of exact rotations, exact over any span in which each
 * thread completed whole periods. Threads sharing a stripe (more threads than {@link Stripes#COUNT}) share
 * its slot racily: the slot is advanced with an opaque read and an opaque write, not an atomic
 * read-modify-write, so two picks at the same instant may take the same turn (a lost update gives one
 * endpoint two of those picks, never an unhealthy one). The slot holds an index already reduced into [0,
 * n) and wraps by comparison, not division; after a membership change shrinks n, one division brings it
 * back into range. All slots start at 0.
 *
 * <p>Smooth weighted round-robin (nginx, {@code ngx_http_upstream_get_peer}, Maxim Dounin 2012): every
 * step adds each weight to a current value, picks the largest (the first on ties) and subtracts the total
 * weight from it; weights {5, 1, 1} give {@code a a b a c a a}. That sequence is periodic with period
 * total/gcd, and depends only on the weights, so it is precomputed once per snapshot into {@code schedule}
 * (member indexes; O(period × n) at rebuild) and a pick is one cursor step and two array reads (the
 * schedule, then the stripe's handle of that member, see {@link Picker#handleTable}): O(1), lock-free,
 * exact over every full period and as smooth as nginx's in one thread. Periods longer than {@value
 * #MAX_PERIOD} are scaled down proportionally (ratios then hold to within 1/{@value #MAX_PERIOD}). A
 * refused member's slot passes to the next entry of the schedule.
 */
final class SequencePickers {

    static final int MAX_PERIOD = 1 << 16;

    private SequencePickers() {}

    static PickerFactory roundRobin() {
        int[] cursor = Stripes.newCells();
        return members -> new RoundRobin(members, cursor);
    }

    static PickerFactory smoothWeighted() {
        int[] cursor = Stripes.newCells();
        return members -> new SmoothWeighted(members, cursor);
    }

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(int[].class);

    /**
     * Takes the calling thread's next index in [0, n) and advances it.
     *
     * @param slots the cursor: per-stripe rotation indexes ({@link Stripes#newCells}), shared by the
     *     snapshots of one balancer and advanced with opaque (racy but coherent) reads and writes
     * @param n the period, &gt; 0
     * @param stripe the calling thread's stripe
     * @return the index
     */
    static int next(int[] slots, int n, int stripe) {
        int at = Stripes.offset(stripe);
        int v = (int) SLOT.getOpaque(slots, at);
        if (v >= n || v < 0) {
            v = Math.floorMod(v, n);
        }
        SLOT.setOpaque(slots, at, v + 1 == n ? 0 : v + 1);
        return v;
    }

    static final class RoundRobin extends Picker {
        /**
         * The balancer's cursor (see {@link SequencePickers#next}), read directly: one dependent load less per
         * pick.
         */
        private final int[] cursor;
        /** The handles ({@link Picker#handleTable}). */
        private final Member.Handle[] handles;

        RoundRobin(Member[] members, int[] cursor) {
            super(members, false, false);
            this.cursor = cursor;
            this.handles = handleTable(members);
        }

        @Override
        Member.Handle pickHandle(DefaultLoadBalancer lb, long hash, int stripe) {
            Member[] ms = members;
            int n = ms.length;
            if (n == 0) {
                return null;
            }
            int i = next(cursor, n, stripe);
            Member.Handle h = handles[(i << STRIPE_BITS) | stripe];
            if (lb.admit(h.member)) {
                return h;
            }
            Member m = admitAfter(lb, ms, i);
            return m == null ? null : m.handle(stripe);
        }

        @Override
        Member pick(DefaultLoadBalancer lb, long hash, int stripe) {
            Member[] ms = members;
            int n = ms.length;
            if (n == 0) {
                return null;
            }
            return admitFrom(lb, ms, next(cursor, n, stripe));
        }
    }

    static final class SmoothWeighted extends Picker {
        /**
         * The balancer's cursor (see {@link SequencePickers#next}), read directly: one dependent load less per
         * pick.
         */
        private final int[] cursor;
        /** One period of the schedule, as indexes into {@link #members}. */
        private final int[] schedule;
        /** The handles ({@link Picker#handleTable}). */
        private final Member.Handle[] handles;

        SmoothWeighted(Member[] members, int[] cursor) {
            super(members, false, false);
            this.cursor = cursor;
            int[] w = new int[members.length];
            for (int i = 0; i < w.length; i++) {
                w[i] = members[i].weight;
            }
            this.schedule = schedule(w);
            this.handles = handleTable(members);
        }

        @Override
        Member pick(DefaultLoadBalancer lb, long hash, int stripe) {
            int[] s = schedule;
            int n = s.length;
            if (n == 0) {
                return null;
            }
            int i = next(cursor, n, stripe);
            Member m = members[s[i]];
            return lb.admit(m) ? m : pickAfter(lb, i);
        }

        @Override
        Member.Handle pickHandle(DefaultLoadBalancer lb, long hash, int stripe) {
            int[] s = schedule;
            int n = s.length;
            if (n == 0) {
                return null;
            }
            int i = next(cursor, n, stripe);
            Member.Handle h = handles[(s[i] << STRIPE_BITS) | stripe];
            if (lb.admit(h.member)) {
                return h;
            }
            Member m = pickAfter(lb, i);
            return m == null ? null : m.handle(stripe);
        }

        /** The rest of a pick whose schedule entry {@code i} was refused: the next entries, then a scan. */
        private Member pickAfter(DefaultLoadBalancer lb, int i) {
            int[] s = schedule;
            int n = s.length;
            int limit = Math.min(n, 4 * members.length);
            for (int k = 1; k < limit; k++) {
                if (++i == n) {
                    i = 0;
                }
                Member m = members[s[i]];
                if (lb.admit(m)) {
                    return m;
                }
            }
            return scan(lb, members, 0);
        }
    }

    /**
     * The indexes nginx's smooth weighted round-robin picks over one full period.
     *
     * @param weights positive weights
     * @return one period of picks
     */
    static int[] schedule(int[] weights) {
        int n = weights.length;
        if (n == 0) {
            return new int[0];
        }
        long g = 0;
        for (int w : weights) {
            g = gcd(g, w);
        }
        long[] w = new long[n];
        long total = 0;
        for (int i = 0; i < n; i++) {
            w[i] = weights[i] / g;
            total += w[i];
        }
        if (total > MAX_PERIOD) {
            long scaled = 0;
            for (int i = 0; i < n; i++) {
                w[i] = Math.max(1, Math.round(w[i] * (double) MAX_PERIOD / total));
                scaled += w[i];
            }
            total = scaled;
        }
        int[] out = new int[(int) total];
        long[] current = new long[n];
        for (int s = 0; s < out.length; s++) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                current[i] += w[i];
                if (best < 0 || current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= total;
            out[s] = best;
        }
        return out;
    }

    private static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
