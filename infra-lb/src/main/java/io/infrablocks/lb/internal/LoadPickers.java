package io.infrablocks.lb.internal;

import java.util.concurrent.ThreadLocalRandom;

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
 * breaking): O(n). Power of two choices (Mitzenmacher 2001) draws two distinct members (uniformly from
 * one random long; with unequal weights in proportion to weight, from a slot table, so a slow low-weight
 * pair is rarely the only choice) and keeps the lighter: O(1). Each pick uses the pair its stripe drew at
 * the stripe's previous pick and draws the next one ({@link TwoChoices#newCells}, kept in {@link
 * DefaultLoadBalancer#ahead}): the candidates are random and independent of the loads either way, and the
 * draw no longer delays the loads' reads (drawing first put the generator, the slot reads and the
 * candidates' reads on one chain of dependent steps before the pick's atomic add). That pick is {@link
 * Picker#unchecked}: it compares the two candidates' loads and weights on their handles' counter lines and
 * reads no status; the caller re-reads the winner's status after counting the call, and only if it is not 0
 * (ejected, down, draining, removed or in slow start) backs out and picks again with the checked rules
 * below. A balancer with a given generator draws at the pick and checks first, so seeded runs stay
 * reproducible.
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
        return members -> members.length < 2 || members[0].lb.ahead == null
                ? new TwoChoices(members, ewma, false)
                : ewma ? new AheadEwma(members) : new AheadLeastLoaded(members);
    }

    static double ewmaLoad(Member m, long now, int stripe) {
        double c = m.stripeCosts ? m.handle(stripe).cost(now) : m.cost(now);
        int pending = m.load(stripe);
        if (c == 0) {
            return pending == 0 ? 0 : PENALTY + pending;
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
         * Every member's handle for every stripe ({@link Picker#handleTable}), padded to a power of two of rows
         * ({@link #paddedHandleTable}).
         */
        private final Member.Handle[] table;

        TwoChoices(Member[] members, boolean ewma, boolean unchecked) {
            super(members, false, false, unchecked);
            this.ewma = ewma;
            int n = members.length;
            this.slots = RandomPickers.Alias.uniform(members) || n > 4096 ? null : slots(members);
            this.table = paddedHandleTable(members);
        }

        /**
         * The per-stripe cells of {@link DefaultLoadBalancer#ahead} (longs {@code [Stripes.offset(s) / 2, + 1]},
         * a 128-byte cell each): the candidate pair of the stripe's next pick, packed as {@code i << 32 | j}, and
         * the state of the stripe's generator (a Weyl sequence with SplitMix64's increment, one mixing round).
         * Each pick takes the pair drawn by the previous one and draws the next, so the draw (a random number
         * and two slot reads) is off the path from the pick's start to its atomic add. Threads sharing a
         * stripe race on the cell: two picks may take the same pair, or one state step may be lost, which only
         * correlates those picks' candidates. A pair is always two indexes below the power of two of the
         * members of the snapshot that drew it (the halves of one long); one drawn for an older snapshot is
         * read through the newer one's {@link #table}, whose length is a power of two, masked.
         */
        static long[] newCells() {
            long[] cells = new long[Stripes.offset(Stripes.COUNT) / 2];
            ThreadLocalRandom r = ThreadLocalRandom.current();
            for (int s = 0; s < Stripes.COUNT; s++) {
                int cell = Stripes.offset(s) >> 1;
                cells[cell + 1] = r.nextLong(); // pair 0, 0 first: member 0 against itself, valid for any snapshot
            }
            return cells;
        }

        /**
         * {@link #handleTable} rounded up to a power of two of members, the extra rows repeating the first
         * members, so an index drawn for any snapshot, masked, is a valid handle.
         */
        static Member.Handle[] paddedHandleTable(Member[] ms) {
            Member.Handle[] exact = handleTable(ms);
            int n = ms.length;
            if (n == 0) {
                return exact;
            }
            int rows = Integer.highestOneBit(n * 2 - 1);
            Member.Handle[] out = new Member.Handle[rows * Stripes.COUNT];
            for (int i = 0; i < rows; i++) {
                System.arraycopy(exact, (i % n) * Stripes.COUNT, out, i * Stripes.COUNT, Stripes.COUNT);
            }
            return out;
        }

        static char[] slots(Member[] members) {
            int n = members.length;
            int size = Integer.highestOneBit(Math.max(1024, Math.min(1 << 16, 64 * n)) * 2 - 1);
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
            // fix the rounding on the heaviest member so the counts fill the table exactly
            int heaviest = 0;
            for (int i = 1; i < n; i++) {
                if (members[i].weight > members[heaviest].weight) {
                    heaviest = i;
                }
            }
            counts[heaviest] += size - used;
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
         * The stripe's pair drawn by its previous pick ({@link #newCells}), after drawing the next one, whose draw
         * runs in parallel with this pick's comparison rather than before it.
         */
        final long takePair(DefaultLoadBalancer lb, int stripe) {
            long[] ah = lb.ahead;
            int cell = Stripes.offset(stripe) >> 1;
            long pair = ah[cell];
            long seed = ah[cell + 1] + GAMMA;
            ah[cell + 1] = seed;
            ah[cell] = draw(mix(seed), members.length);
            return pair;
        }

        /** The handle of member {@code i} (from a pair of any snapshot, see {@link #newCells}) for the stripe. */
        final Member.Handle handleAt(int i, int stripe) {
            Member.Handle[] t = table;
            return t[(i << STRIPE_BITS | stripe) & (t.length - 1)];
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
                if (!ewma) {
                    long la = (long) (ha.load() + 1) * hb.weight;
                    long lb2 = (long) (hb.load() + 1) * ha.weight;
                    return lb2 < la ? hb : ha;
                }
                double ca = ha.cost;
                double cb = hb.cost;
                if (ca > 0 && cb > 0) {
                    return lighter(lb, ha, ca, hb.weight, hb, cb, ha.weight) ? hb : ha;
                }
            }
            Member m = pickSlow(lb, stripe, a, b);
            return m == null ? null : m.handle(stripe);
        }

        /** The Weyl increment of the per-stripe generators: SplitMix64's (Steele, Lea and Flood, OOPSLA 2014). */
        private static final long GAMMA = 0x9e3779b97f4a7c15L;

        /**
         * The output function of the per-stripe generators: one xor-shift, multiply, xor-shift round (half of
         * SplitMix64's, whose second round would lengthen the path this draw must finish within); its output
         * only chooses two candidates.
         */
        private static long mix(long z) {
            z = (z ^ (z >>> 32)) * 0xd6e8feb86659fd93L;
            return z ^ (z >>> 32);
        }

        /**
         * Two distinct candidates from one random long, packed as {@code i << 32 | j}: uniform, or by weight
         * from {@link #slots}.
         */
        private long draw(long r, int n) {
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
                    if (!ewma) {
                        long la = (long) (a.load(stripe) + 1) * b.weight;
                        long lb2 = (long) (b.load(stripe) + 1) * a.weight;
                        return lb2 < la ? b : a;
                    }
                    Member.Handle ha = a.handle(stripe);
                    Member.Handle hb = b.handle(stripe);
                    double ca = ha.cost;
                    double cb = hb.cost;
                    if (ca > 0 && cb > 0) {
                        return lighter(lb, ha, ca, b.weight, hb, cb, a.weight) ? b : a;
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

        /**
         * Compares two peak-EWMA loads without reading the clock: both costs decay by the same factor from
         * the later of the two stamps to now, so only the older one is decayed, by the gap between the
         * stamps. Weights are cross-multiplied. Both members healthy, both costs positive.
         *
         * @return whether b is strictly lighter than a
         */
        static boolean lighter(
                DefaultLoadBalancer lb, Member.Handle ha, double ca, int wb, Member.Handle hb, double cb, int wa) {
            long gap = ha.costStamp - hb.costStamp; // > 0: b's estimate is the older one
            double la = ca * (ha.load() + 1) * wb;
            double lb2 = cb * (hb.load() + 1) * wa;
            if (gap != 0) {
                // one decay call site: the pick's compiled code must stay small enough to be inlined
                double f = Member.decay(Math.abs(gap) * lb.ewmaDecayRate);
                if (gap > 0) {
                    lb2 *= f;
                } else {
                    la *= f;
                }
            }
            return lb2 < la;
        }

        private double load(DefaultLoadBalancer lb, Member m, long now, int stripe) {
            if (ewma) {
                return ewmaLoad(m, now, stripe) / lb.weightOf(m);
            }
            return (m.load(stripe) + 1) / lb.weightOf(m);
        }
    }

    /**
     * P2C with drawn-ahead pairs ({@link TwoChoices#takePair}), {@link Picker#unchecked}: the two candidates'
     * handles by index, compared on their counter lines by {@link #lighterOf}, and no status read (the
     * caller's re-read after the count decides).
     */
    abstract static class Ahead extends TwoChoices {
        Ahead(Member[] members, boolean ewma) {
            super(members, ewma, true);
        }

        @Override
        final Member.Handle pickHandle(DefaultLoadBalancer lb, long hash, int stripe) {
            long pair = takePair(lb, stripe);
            return lighterOf(lb, handleAt((int) (pair >>> 32), stripe), handleAt((int) pair, stripe), stripe);
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
            long la = (long) (ha.load() + 1) * hb.weight;
            long lb2 = (long) (hb.load() + 1) * ha.weight;
            return lb2 < la ? hb : ha;
        }
    }

    /**
     * P2C peak-EWMA, {@link Ahead}: {@link TwoChoices#lighter}; a candidate without a latency sample yet sends
     * the pick to the checked rules.
     */
    static final class AheadEwma extends Ahead {
        AheadEwma(Member[] members) {
            super(members, true);
        }

        @Override
        Member.Handle lighterOf(DefaultLoadBalancer lb, Member.Handle ha, Member.Handle hb, int stripe) {
            double ca = ha.cost;
            double cb = hb.cost;
            if (ca > 0 && cb > 0) {
                return lighter(lb, ha, ca, hb.weight, hb, cb, ha.weight) ? hb : ha;
            }
            return pickHandleChecked(lb, 0, stripe);
        }
    }
}
