package io.infrablocks.lb.internal;

import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * The load-aware strategies, fed by completions: weighted least-connections, least response time
 * (peak-EWMA), and power of two choices over either load.
 *
 * <p>Load of a member: least-connections uses {@code (inFlight + 1) / weight}; the EWMA strategies use
 * Finagle/Linkerd's peak-EWMA load {@code cost × (inFlight + 1) / weight}, where {@code cost} is the latency
 * estimate decayed to now ({@link Member#cost(long)}); a member without any sample yet costs 0 when idle
 * and a large penalty plus its pending count otherwise (so an endpoint that never answers cannot become a
 * black hole). Weights include the slow-start ramp ({@link DefaultLoadBalancer#weightOf}).
 *
 * <p>Least-connections and least response time scan all members from a random start (random tie
 * breaking): O(n). Power of two choices (Mitzenmacher 2001) takes two distinct members (with unequal weights
 * in proportion to weight, so a slow low-weight pair is rarely the only choice) and keeps the lighter: O(1).
 * Without a given generator the pair comes from a deck dealt with each snapshot ({@link Ahead}: each column
 * holds every member in its weight's share, shuffled) that every stripe walks with its own cursor, kept in
 * {@link DefaultLoadBalancer#ahead}: one read and one increment instead of a random number and two weight-table
 * reads per pick. That pick is {@link Picker#unchecked}: it compares the two candidates' loads and weights on
 * their handles' counter lines and reads no status; the caller re-reads the winner's status after counting the
 * call, and only if it is not 0 (ejected, down, draining, removed or in slow start) backs out and picks again
 * with the checked rules below. A balancer with a given generator draws each pair at the pick (from one random
 * long, uniformly or from a slot table of weights) and checks first, so seeded runs stay reproducible.
 *
 * <p>P2C reads the in-flight counts of the picking thread's stripe only ({@link Member#load(int)}: each stripe balances
 * as an independent client, as P2C runs distributed in Finagle, Linkerd and Envoy; see {@link Member}); the scans read
 * the exact global counts. Comparing two peak-EWMA loads needs no clock read: decaying both to now multiplies both by
 * the same factor, so only the older estimate is decayed, by the gap between the two stamps (the clock is read only
 * when a member has no sample yet or is in slow start). If one of the two is refused the other is taken, if both are,
 * it draws again (4 times) and then scans. All reads are racy snapshots of atomics: no lock, no allocation.
 */
final class LoadPickers {

    /** Load of a member with calls in flight but no latency sample yet (about 2.8 hours in ns). */
    static final double PENALTY = 1e13;

    private LoadPickers() {}

    static PickerFactory leastConnections() {
        return members -> new Scan(members, false);
    }

    static PickerFactory leastResponseTime() {
        return members -> new Scan(members, true);
    }

    static PickerFactory p2c(boolean ewma) {
        return members -> members.length < 2 || members.length > Ahead.MAX_MEMBERS || members[0].lb.ahead == null
                ? new TwoChoices(members, ewma, false)
                : ewma ? new AheadEwma(members) : new AheadLeastLoaded(members);
    }

    static double ewmaLoad(Member m, long now, int stripe) {
        return ewmaLoad(m.stripeCosts ? m.handle(stripe).cost(now) : m.cost(now), m.load(stripe));
    }

    /**
     * Finagle's peak-EWMA load: {@code c × (pending + 1)}; without an estimate ({@code c == 0}) 0 when nothing is in
     * flight, else {@link #PENALTY} plus the count, so a new endpoint gets one call until it answers.
     */
    static double ewmaLoad(double c, int pending) {
        if (c == 0) {
            return pending <= 0 ? 0 : PENALTY + pending;
        }
        return c * (pending + 1);
    }

    static final class Scan extends Picker {
        private final boolean ewma;
        private final double[] inverseWeight;

        Scan(Member[] members, boolean ewma) {
            super(members, false, false);
            this.ewma = ewma;
            this.inverseWeight = new double[members.length];
            for (int i = 0; i < members.length; i++) {
                inverseWeight[i] = 1.0 / members[i].weight;
            }
        }

        @Override
        Member pick(DefaultLoadBalancer lb, long hash, int stripe) {
            Member[] ms = members;
            int n = ms.length;
            if (n == 0) {
                return null;
            }
            long now = ewma ? lb.ewmaNow() : 0;
            int i = n == 1 ? 0 : lb.nextInt(n);
            Member best = null;
            double bestLoad = Double.MAX_VALUE;
            for (int k = 0; k < n; k++) {
                Member m = ms[i];
                if (lb.usable(m)) {
                    double load = (ewma ? ewmaLoad(m, now, stripe) : m.load(stripe) + 1)
                            * (m.status == 0 ? inverseWeight[i] : 1 / lb.weightOf(m));
                    if (best == null || load < bestLoad) {
                        best = m;
                        bestLoad = load;
                    }
                }
                if (++i == n) {
                    i = 0;
                }
            }
            return best;
        }
    }

    static class TwoChoices extends Picker {
        private final boolean ewma;
        /**
         * With unequal weights, candidates are drawn from this table, where each member fills a share of
         * the 2^k slots proportional to its weight (rounded, at least one slot; k &lt;= 16), so one random
         * long gives both candidates by two masked reads. Member indexes are {@code char}s (at most 4096
         * members), so the table of 100 members takes 16 KB of the L1 cache rather than 32. Null with equal
         * weights or more than 4096 members: uniform draws.
         */
        private final char[] slots;
        /**
         * Every member's handle for every stripe ({@link Picker#handleTable}); for an unchecked picker ({@link
         * Ahead}) padded with nulls to a power of two, so its reads are masked instead of bounds-checked.
         */
        final Member.Handle[] table;

        TwoChoices(Member[] members, boolean ewma, boolean unchecked) {
            super(members, false, false, unchecked);
            this.ewma = ewma;
            int n = members.length;
            // an unchecked picker draws from its deck instead (Ahead)
            this.slots = unchecked || RandomPickers.Alias.uniform(members) || n > 4096 ? null : slots(members);
            Member.Handle[] t = handleTable(members);
            this.table = unchecked ? Arrays.copyOf(t, Integer.highestOneBit(t.length * 2 - 1)) : t;
        }

        static char[] slots(Member[] members) {
            int n = members.length;
            int size = Integer.highestOneBit(Math.max(1024, Math.min(1 << 16, 64 * n)) * 2 - 1);
            int[] counts = shares(members, size);
            char[] out = new char[size];
            // interleave members so neighbouring slots differ
            int[] next = new int[n];
            int p = 0;
            while (p < size) {
                for (int i = 0; i < n && p < size; i++) {
                    if (next[i] < counts[i]) {
                        out[p++] = (char) i;
                        next[i]++;
                    }
                }
            }
            return out;
        }

        /**
         * Each member's share of {@code size} places ({@code size >= 2 × members}), proportional to its weight
         * (rounded, at least one; the rounding is settled on the heaviest member so the shares add up to {@code
         * size}).
         */
        static int[] shares(Member[] members, int size) {
            int n = members.length;
            double total = 0;
            for (Member m : members) {
                total += m.weight;
            }
            int[] counts = new int[n];
            int used = 0;
            for (int i = 0; i < n; i++) {
                counts[i] = (int) Math.max(1, Math.round(members[i].weight * size / total));
                used += counts[i];
            }
            // settle the rounding on the heaviest member (the first of equal weights)
            int heaviest = 0;
            for (int i = 1; i < n; i++) {
                if (members[i].weight > members[heaviest].weight) {
                    heaviest = i;
                }
            }
            counts[heaviest] += size - used;
            // many light members rounded up to one place each: take the excess from any member above one
            for (int i = 0; counts[heaviest] < 1; i = (i + 1) % n) {
                if (i != heaviest && counts[i] > 1) {
                    counts[i]--;
                    counts[heaviest]++;
                }
            }
            return counts;
        }

        @Override
        Member pick(DefaultLoadBalancer lb, long hash, int stripe) {
            Member.Handle h = pickHandle(lb, hash, stripe);
            return h == null ? null : h.member;
        }

        @Override
        Member.Handle pickHandle(DefaultLoadBalancer lb, long hash, int stripe) {
            return pickNow(lb, stripe);
        }

        /**
         * {@link #pickHandle} drawing the pair now and checking health first (a seeded balancer: reproducible
         * draws).
         */
        final Member.Handle pickNow(DefaultLoadBalancer lb, int stripe) {
            Member[] ms = members;
            int n = ms.length;
            if (n <= 1) {
                return n == 1 && lb.usable(ms[0]) ? ms[0].handle(stripe) : null;
            }
            long pair = draw(lb.nextLong(), n);
            return choose(lb, stripe, (int) (pair >>> 32), (int) pair);
        }

        /**
         * The lighter of members {@code i} and {@code j} for the stripe, if both are healthy; else {@link
         * #pickSlow}.
         */
        private Member.Handle choose(DefaultLoadBalancer lb, int stripe, int i, int j) {
            Member.Handle[] t = table;
            Member.Handle ha = t[(i << STRIPE_BITS) | stripe];
            Member.Handle hb = t[(j << STRIPE_BITS) | stripe];
            Member[] ms = members;
            Member a = ms[i];
            Member b = ms[j];
            if ((a.status | b.status) == 0) {
                Member.Handle h = lighterOrNull(lb, ha, hb);
                if (h != null) {
                    return h;
                }
            }
            Member m = pickSlow(lb, stripe, a, b);
            return m == null ? null : m.handle(stripe);
        }

        /**
         * Two distinct candidates from one random long, packed as {@code i << 32 | j}: uniform, or by weight
         * from {@link #slots}.
         */
        long draw(long r, int n) {
            int i;
            int j;
            char[] sl = slots;
            if (sl == null) {
                i = reduce(r, n);
                j = reduce(r << 32, n - 1);
                if (j >= i) {
                    j++;
                }
            } else {
                int mask = sl.length - 1;
                i = sl[(int) r & mask];
                j = sl[(int) (r >>> 32) & mask];
                if (j == i) {
                    j = sl[(int) (r >>> 16) & mask];
                    if (j == i) {
                        j = i + 1 == n ? 0 : i + 1;
                    }
                }
            }
            return (long) i << 32 | j;
        }

        /**
         * The rest of a pick whose first pair {@code a, b} was not both healthy (or, for peak EWMA, not both
         * measured): takes the usable one of the pair, or draws again (4 pairs in all), then scans. Kept out
         * of {@link #pick} so the common path compiles small.
         */
        private Member pickSlow(DefaultLoadBalancer lb, int stripe, Member a, Member b) {
            Member[] ms = members;
            int n = ms.length;
            for (int attempt = 1; ; attempt++) {
                boolean ua = lb.usable(a);
                boolean ub = lb.usable(b);
                if (ua && ub) {
                    long now = ewma ? lb.ewmaNow() : 0;
                    return load(lb, a, now, stripe) <= load(lb, b, now, stripe) ? a : b;
                }
                if (ua) {
                    return a;
                }
                if (ub) {
                    return b;
                }
                if (attempt == 4) {
                    break;
                }
                long pair = draw(lb.nextLong(), n);
                a = ms[(int) (pair >>> 32)];
                b = ms[(int) pair];
                if ((a.status | b.status) == 0) {
                    Member.Handle h = lighterOrNull(lb, a.handle(stripe), b.handle(stripe));
                    if (h != null) {
                        return h.member;
                    }
                }
            }
            long now = ewma ? lb.ewmaNow() : 0;
            Member best = null;
            double bestLoad = Double.MAX_VALUE;
            for (Member m : ms) {
                if (lb.usable(m)) {
                    double load = load(lb, m, now, stripe);
                    if (best == null || load < bestLoad) {
                        best = m;
                        bestLoad = load;
                    }
                }
            }
            return best;
        }

        /** {@link #lighterByLoad} or {@link #lighterByCost}, by this picker's kind. */
        private Member.Handle lighterOrNull(DefaultLoadBalancer lb, Member.Handle ha, Member.Handle hb) {
            return ewma ? lighterByCost(lb, ha, hb) : lighterByLoad(ha, hb);
        }

        /**
         * The lighter of two healthy candidates' handles by in-flight calls per weight, cross-multiplied ({@code ha}
         * on a tie).
         */
        static Member.Handle lighterByLoad(Member.Handle ha, Member.Handle hb) {
            long la = (long) (ha.load() + 1) * hb.weight;
            long lb2 = (long) (hb.load() + 1) * ha.weight;
            return lb2 < la ? hb : ha;
        }

        /**
         * The lighter of two healthy candidates' handles by peak-EWMA load, {@code score × (pending + 1)} ({@code ha}
         * on a tie), or null unless both have a sample (the checked rules then apply the penalty of a member without
         * one).
         *
         * <p>It does not read the clock: both estimates decay by the same factor from the later of the two stamps to
         * now, so only the older one is decayed, by the gap between the stamps. Equal stamps (the usual case under
         * load: both estimates updated at the same tick) mean both have a sample, since a handle without one has an
         * odd stamp of its own ({@link Member.HandleHot#costStamp}); only unequal ones need the test.
         */
        static Member.Handle lighterByCost(DefaultLoadBalancer lb, Member.Handle ha, Member.Handle hb) {
            long gap = ha.costStamp - hb.costStamp; // > 0: b's estimate is the older one
            if (gap != 0) {
                return lighterAcrossStamps(lb, ha, hb, gap);
            }
            // the stamps are dead here and the counts are read only now: fewer values live at once, so the caller's
            // loop keeps its own in registers
            int pa = ha.load();
            int pb = hb.load();
            if (pa == pb) {
                // equal counts (the usual case of a stripe whose thread waits for each call: none in flight) multiply
                // both scores by the same pa + 1, so the scores decide
                return hb.score < ha.score ? hb : ha;
            }
            return hb.score * (pb + 1) < ha.score * (pa + 1) ? hb : ha;
        }

        /**
         * {@link #lighterByCost} when the stamps differ by {@code gap} (a's less b's): null unless both have a sample,
         * else the loads compared with the older estimate decayed by the gap.
         */
        private static Member.Handle lighterAcrossStamps(
                DefaultLoadBalancer lb, Member.Handle ha, Member.Handle hb, long gap) {
            double la = ha.score * (ha.load() + 1);
            double lb2 = hb.score * (hb.load() + 1);
            if (!(la * lb2 > 0)) {
                return null; // one has no sample yet (a score of 0; or a count read mid-update)
            }
            // one decay call site: the pick's compiled code must stay small enough to be inlined
            double f = Member.decay(Math.abs(gap) * lb.ewmaDecayRate);
            if (gap > 0) {
                lb2 *= f;
            } else {
                la *= f;
            }
            return lb2 < la ? hb : ha;
        }

        private double load(DefaultLoadBalancer lb, Member m, long now, int stripe) {
            if (ewma) {
                return ewmaLoad(m, now, stripe) / lb.weightOf(m);
            }
            return (m.load(stripe) + 1) / lb.weightOf(m);
        }
    }

    /**
     * P2C from a deck of candidate pairs, {@link Picker#unchecked}: the two candidates' handles, compared on their
     * counter lines by {@link #lighterOf}, and no status read (the caller's re-read after the count decides).
     *
     * <p>The deck ({@link #deck}) is drawn when the snapshot is built: a power of two of pairs of distinct
     * members, where each column holds every member in proportion to its weight (at least once), shuffled. Each
     * stripe walks it with its own cursor in {@link DefaultLoadBalancer#ahead}, from a random start, so a pick
     * takes its pair with one read and one increment instead of drawing a random number and reading the weight
     * table (about 30 instructions of the pick, which runs at a roughly constant number of instructions per
     * cycle). Threads sharing a stripe race on its cursor: two picks may take the same pair. A stripe repeats
     * its sequence of pairs every deck length of picks; which of each pair is lighter still depends on the
     * loads of that moment, and a membership or weight change deals a new deck.
     */
    abstract static class Ahead extends TwoChoices {
        /** The most members a deck entry can pack (two handle-table rows of 16 bits). */
        static final int MAX_MEMBERS = 1 << (16 - STRIPE_BITS);

        /**
         * The pairs, each packed as {@code (i << STRIPE_BITS) << 16 | (j << STRIPE_BITS)}: the rows of members
         * {@code i} and {@code j} in {@link #table}, so a stripe's handle is one or away.
         */
        private final int[] deck;

        Ahead(Member[] members, boolean ewma) {
            super(members, ewma, true);
            this.deck = deck(members, ThreadLocalRandom.current());
        }

        /** Per-stripe deck cursors (see {@link Stripes#newCells}), each from a random start. */
        static int[] newCursors() {
            int[] cells = Stripes.newCells();
            ThreadLocalRandom r = ThreadLocalRandom.current();
            for (int s = 0; s < Stripes.COUNT; s++) {
                cells[Stripes.offset(s)] = r.nextInt();
            }
            return cells;
        }

        /** The deck of {@code members} (at least 2, at most {@link #MAX_MEMBERS}); see the class comment. */
        static int[] deck(Member[] members, RandomGenerator r) {
            int n = members.length;
            int size = Integer.highestOneBit(Math.max(1024, Math.min(1 << 15, 32 * n)) * 2 - 1);
            int[] first = column(members, size, r);
            int[] second = column(members, size, r);
            for (int k = 0; k < size; k++) {
                if (first[k] == second[k]) {
                    distinct(first, second, k, n, r);
                }
            }
            int[] out = new int[size];
            for (int k = 0; k < size; k++) {
                out[k] = (first[k] << STRIPE_BITS) << 16 | (second[k] << STRIPE_BITS);
            }
            return out;
        }

        /** {@code size} member indexes, each in its weight's share ({@link #shares}), shuffled. */
        private static int[] column(Member[] members, int size, RandomGenerator r) {
            int[] counts = shares(members, size);
            int[] out = new int[size];
            int p = 0;
            for (int i = 0; i < counts.length; i++) {
                for (int c = 0; c < counts[i]; c++) {
                    out[p++] = i;
                }
            }
            for (int k = size - 1; k > 0; k--) {
                int m = r.nextInt(k + 1);
                int t = out[k];
                out[k] = out[m];
                out[m] = t;
            }
            return out;
        }

        /**
         * Makes pair {@code k} distinct by swapping its second member with that of a random pair which stays
         * distinct too (the columns keep their counts); if 64 tries find none (one member holds most of the
         * weight), its second member becomes the next index.
         */
        private static void distinct(int[] first, int[] second, int k, int n, RandomGenerator r) {
            for (int attempt = 0; attempt < 64; attempt++) {
                int m = r.nextInt(first.length);
                if (second[m] != first[k] && second[k] != first[m]) {
                    int t = second[k];
                    second[k] = second[m];
                    second[m] = t;
                    return;
                }
            }
            second[k] = first[k] + 1 == n ? 0 : first[k] + 1;
        }

        @Override
        final Member.Handle pickHandle(DefaultLoadBalancer lb, long hash, int stripe) {
            int[] cursors = lb.ahead;
            int o = Stripes.offset(stripe);
            int k = cursors[o];
            cursors[o] = k + 1;
            int[] d = deck;
            int e = d[k & (d.length - 1)]; // masked by the length: no bounds check
            Member.Handle[] t = table;
            // a power of two of at most 2^16 (see TwoChoices#table): masked, no bounds checks, and the mask drops the
            // first row of the entry
            int mask = t.length - 1;
            return lighterOf(lb, t[((e >>> 16) | stripe) & mask], t[(e | stripe) & mask], stripe);
        }

        /** A pair from the deck (a checked pick's draws), unpacked as {@code i << 32 | j}. */
        @Override
        final long draw(long r, int n) {
            int[] d = deck;
            int e = d[(int) r & (d.length - 1)];
            return (long) (e >>> (16 + STRIPE_BITS)) << 32 | ((e & 0xFFFF) >>> STRIPE_BITS);
        }

        @Override
        final Member.Handle pickHandleChecked(DefaultLoadBalancer lb, long hash, int stripe) {
            return pickNow(lb, stripe);
        }

        /** The lighter of two candidates' handles ({@code ha} on a tie). */
        abstract Member.Handle lighterOf(DefaultLoadBalancer lb, Member.Handle ha, Member.Handle hb, int stripe);
    }

    /** P2C least-connections, {@link Ahead}: in-flight counts per weight, cross-multiplied. */
    static final class AheadLeastLoaded extends Ahead {
        AheadLeastLoaded(Member[] members) {
            super(members, false);
        }

        @Override
        Member.Handle lighterOf(DefaultLoadBalancer lb, Member.Handle ha, Member.Handle hb, int stripe) {
            return lighterByLoad(ha, hb);
        }
    }

    /**
     * P2C peak-EWMA, {@link Ahead}: {@link TwoChoices#lighterByCost}, or {@link #lighterWithoutSample} when a
     * candidate has no latency sample yet.
     */
    static final class AheadEwma extends Ahead {
        AheadEwma(Member[] members) {
            super(members, true);
        }

        @Override
        Member.Handle lighterOf(DefaultLoadBalancer lb, Member.Handle ha, Member.Handle hb, int stripe) {
            Member.Handle h = lighterByCost(lb, ha, hb);
            return h != null ? h : lighterWithoutSample(ha, hb);
        }

        /**
         * The lighter of two candidates when one has no sample yet, by {@link #ewmaLoad(double, int)}'s rule for a
         * missing estimate: nothing in flight makes it the lightest (0), something in flight a penalty; the other
         * compares its score. The same two candidates and the same rule as the checked pick, which drew a new pair:
         * no call and no random draw on the deck's path.
         */
        static Member.Handle lighterWithoutSample(Member.Handle ha, Member.Handle hb) {
            return withoutSample(hb) < withoutSample(ha) ? hb : ha;
        }

        /** {@link #ewmaLoad(double, int)} over the weight (a score is already over it). */
        private static double withoutSample(Member.Handle h) {
            double s = h.score;
            double load = ewmaLoad(s, h.load());
            return s > 0 ? load : load / h.weight;
        }
    }
}
