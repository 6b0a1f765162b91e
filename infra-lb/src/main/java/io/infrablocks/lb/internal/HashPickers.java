package io.infrablocks.lb.internal;

import io.infrablocks.lb.Request;
import java.util.Arrays;

/**
 * Key hashing strategies: plain modulo, ring (ketama), Maglev, rendezvous (HRW) and jump, plus consistent
 * hashing with bounded loads over a ring or a Maglev table. All tables are built once per snapshot and
 * read-only afterwards; a pick reads final arrays and the members' status (no lock, no allocation). Hash
 * strategies ignore slow start (it would move keys) and fail over to their own next candidate: the next
 * index (modulo), the next ring point, the next Maglev slot, the next-highest score (rendezvous), a
 * rehash (jump). Endpoint identity on the ring/table/score is the 64-bit hash of the endpoint id, so a
 * key's owner depends only on the ids present, not on their order (except for jump and modulo, which map
 * to positions).
 */
final class HashPickers {

    private HashPickers() {}

    static PickerFactory modulo() {
        return Modulo::new;
    }

    static PickerFactory ring(int pointsPerEndpoint) {
        return members -> new Ring(members, pointsPerEndpoint);
    }

    static PickerFactory maglev(int tableSize) {
        return members -> new Maglev(members, tableSize);
    }

    static PickerFactory rendezvous() {
        return Rendezvous::new;
    }

    static PickerFactory jump() {
        return Jump::new;
    }

    static PickerFactory boundedLoad(PickerFactory base, double loadFactor) {
        return members -> new BoundedLoad(members, (Walk) base.create(members), loadFactor);
    }

    /** A table or ring a key walks along: the base of bounded loads. */
    interface Walk {
        int start(long hash);

        int length();

        Member at(int position);
    }

    /** {@code hash mod n} (unsigned): not consistent, documented as such. O(1). */
    static final class Modulo extends Picker {
        Modulo(Member[] members) {
            super(members, true, false);
        }

        @Override
        Member pick(DefaultLoadBalancer lb, long hash, int stripe) {
            Member[] ms = members;
            int n = ms.length;
            if (n == 0) {
                return null;
            }
            int i = (int) Long.remainderUnsigned(hash, n);
            Member m = ms[i];
            return lb.usable(m) ? m : scan(lb, ms, i);
        }
    }

    /**
     * Consistent hashing on a ring (Karger et al. STOC 1997; ketama's virtual nodes). Each member owns
     * {@code round(points × weight × n / totalWeight)} (at least 1) points at {@code mix(idHash + k·φ)}. A
     * point is packed into one long: 43 high bits of position, 20 low bits of member index, so the ring is
     * one sorted {@code long[]} searched by binary search: O(log P) per pick, O(P log P) per rebuild.
     */
    static final class Ring extends Picker implements Walk {
        private static final int INDEX_BITS = 20;
        private final long[] points;

        Ring(Member[] members, int pointsPerEndpoint) {
            super(members, true, false);
            int n = members.length;
            if (n >= 1 << INDEX_BITS) {
                throw new IllegalArgumentException(
                        "ring-hash supports at most " + ((1 << INDEX_BITS) - 1) + " endpoints but got " + n);
            }
            double total = 0;
            for (Member m : members) {
                total += m.weight;
            }
            int[] counts = new int[n];
            long sum = 0;
            for (int i = 0; i < n; i++) {
                counts[i] = (int) Math.max(1, Math.round(pointsPerEndpoint * (double) members[i].weight * n / total));
                sum += counts[i];
            }
            if (sum > 50_000_000L) {
                throw new IllegalArgumentException("ring-hash would need " + sum + " points; at most 50000000");
            }
            points = new long[(int) sum];
            int p = 0;
            for (int i = 0; i < n; i++) {
                long id = members[i].idHash;
                for (int k = 0; k < counts[i]; k++) {
                    long position = Request.mix(id + (k + 1) * 0x9E3779B97F4A7C15L) >>> (64 - 43);
                    points[p++] = (position << INDEX_BITS) | i;
                }
            }
            Arrays.sort(points);
        }

        @Override
        public int start(long hash) {
            long key = (hash >>> (64 - 43)) << INDEX_BITS;
            int r = Arrays.binarySearch(points, key);
            int i = r >= 0 ? r : -r - 1;
            return i == points.length ? 0 : i;
        }

        @Override
        public int length() {
            return points.length;
        }

        @Override
        public Member at(int position) {
            return members[(int) (points[position] & ((1 << INDEX_BITS) - 1))];
        }

        @Override
        Member pick(DefaultLoadBalancer lb, long hash, int stripe) {
            long[] ps = points;
            int len = ps.length;
            if (len == 0) {
                return null;
            }
            int i = start(hash);
            for (int k = 0; k < len; k++) {
                Member m = at(i);
                if (lb.usable(m)) {
                    return m;
                }
                if (++i == len) {
                    i = 0;
                }
            }
            return null;
        }
    }

    /**
     * Maglev hashing (Eisenbud et al., NSDI 2016, section 3.4). Member i has the permutation {@code
     * (offset_i + j × skip_i) mod M} with offset and skip from two hashes of its id; members take turns
     * claiming their next free preferred slot until the prime-sized table is full. Weights set the turns:
     * each round a member earns weight/maxWeight turns. A pick is one multiply-shift and one array read;
     * failover walks to the next slot (a pseudo-random other member). Build: O(M log M) expected. The table
     * holds the narrowest index type that fits: {@code byte}s up to 256 members (64 KB for the default 65537
     * slots: half the cache lines and pages of {@code char}s, which showed as L1/TLB misses per pick), {@code
     * char}s up to 65535, else {@code int}s (4-bit entries up to 16 members, 32 KB, did not lower the L1
     * misses per pick and cost instructions). The pick returns the stripe's {@link Member.Handle} from a
     * per-snapshot array ({@link Picker#handleTable}), so the member (its status) and the handle (its counters)
     * load side by side from the slot's index rather than the handle after the member.
     */
    static final class Maglev extends Picker implements Walk {
        /** Member index per slot when there are more than 65535 members, else null. */
        private final int[] table;
        /** Member index per slot with 257 to 65535 members, else null. */
        private final char[] small;
        /** Member index (unsigned) per slot with at most 256 members, else null. */
        private final byte[] tiny;
        /** Every member's handle for every stripe ({@link Picker#handleTable}). */
        private final Member.Handle[] handles;

        Maglev(Member[] members, int tableSize) {
            super(members, true, false, true);
            handles = handleTable(members);
            int[] t = build(members, tableSize);
            if (members.length <= 256) {
                tiny = new byte[t.length];
                for (int i = 0; i < t.length; i++) {
                    tiny[i] = (byte) t[i];
                }
                small = null;
                table = null;
            } else if (members.length <= 0xFFFF) {
                small = new char[t.length];
                for (int i = 0; i < t.length; i++) {
                    small[i] = (char) t[i];
                }
                tiny = null;
                table = null;
            } else {
                tiny = null;
                small = null;
                table = t;
            }
        }

        static int[] build(Member[] members, int tableSize) {
            int n = members.length;
            int size = tableSize;
            int[] table = new int[n == 0 ? 0 : size];
            if (n == 0) {
                return table;
            }
            Arrays.fill(table, -1);
            int[] position = new int[n];
            int[] skip = new int[n];
            double[] rate = new double[n];
            double[] credit = new double[n];
            int maxWeight = 1;
            for (Member m : members) {
                maxWeight = Math.max(maxWeight, m.weight);
            }
            for (int i = 0; i < n; i++) {
                long h1 = Request.mix(members[i].idHash ^ 0x6A09E667F3BCC908L);
                long h2 = Request.mix(members[i].idHash ^ 0xBB67AE8584CAA73BL);
                position[i] = (int) Long.remainderUnsigned(h1, size);
                skip[i] = (int) Long.remainderUnsigned(h2, size - 1) + 1;
                rate[i] = members[i].weight / (double) maxWeight;
            }
            int filled = 0;
            while (filled < size) {
                for (int i = 0; i < n && filled < size; i++) {
                    credit[i] += rate[i];
                    while (credit[i] >= 1 && filled < size) {
                        credit[i] -= 1;
                        int c = position[i];
                        while (table[c] >= 0) {
                            c += skip[i];
                            if (c >= size) {
                                c -= size;
                            }
                        }
                        table[c] = i;
                        c += skip[i];
                        if (c >= size) {
                            c -= size;
                        }
                        position[i] = c;
                        filled++;
                    }
                }
            }
            return table;
        }

        @Override
        public int start(long hash) {
            return reduce(hash, length());
        }

        @Override
        public int length() {
            return tiny != null ? tiny.length : small != null ? small.length : table.length;
        }

        @Override
        public Member at(int position) {
            return members[tiny != null ? tiny[position] & 0xFF : small != null ? small[position] : table[position]];
        }

        @Override
        Member pick(DefaultLoadBalancer lb, long hash, int stripe) {
            int len = length();
            if (len == 0) {
                return null;
            }
            int i = reduce(hash, len);
            Member m = at(i);
            return lb.usable(m) ? m : failover(lb, i, len);
        }

        @Override
        Member.Handle pickHandle(DefaultLoadBalancer lb, long hash, int stripe) {
            byte[] ty = tiny;
            if (ty != null) {
                // unchecked (see Picker#unchecked): the slot's handle, its member's status read by the caller
                // after the count
                int len = ty.length;
                return len == 0 ? null : handles[((ty[reduce(hash, len)] & 0xFF) << STRIPE_BITS) | stripe];
            }
            return pickHandleChecked(lb, hash, stripe);
        }

        @Override
        Member.Handle pickHandleChecked(DefaultLoadBalancer lb, long hash, int stripe) {
            byte[] ty = tiny;
            if (ty != null) {
                int len = ty.length;
                if (len == 0) {
                    return null;
                }
                int i = reduce(hash, len);
                int index = ty[i] & 0xFF;
                Member[] ms = members;
                if (lb.usable(ms[index])) {
                    // the member and its handle load in parallel (both from index), not member then handle
                    return handles[(index << STRIPE_BITS) | stripe];
                }
                Member m = failover(lb, i, len);
                return m == null ? null : m.handle(stripe);
            }
            return super.pickHandle(lb, hash, stripe);
        }

        /** The first usable member of the slots after {@code i} (a bounded walk), else of the members. */
        private Member failover(DefaultLoadBalancer lb, int i, int len) {
            int limit = Math.min(len, 64 * members.length);
            for (int k = 1; k < limit; k++) {
                if (++i == len) {
                    i = 0;
                }
                Member m = at(i);
                if (lb.usable(m)) {
                    return m;
                }
            }
            return scan(lb, members, 0);
        }
    }

    /**
     * Rendezvous / highest-random-weight hashing (Thaler and Ravishankar 1998): score {@code mix(hash ^
     * idHash)}; with unequal weights the weighted form {@code w / -ln(u)} with u the score mapped into (0,
     * 1). Failover is exact: the best-scoring usable member is the next candidate. O(n) per pick.
     */
    static final class Rendezvous extends Picker {
        private final double[] weights;

        Rendezvous(Member[] members) {
            super(members, true, false);
            boolean equal = true;
            for (Member m : members) {
                equal &= m.weight == members[0].weight;
            }
            if (equal) {
                weights = null;
            } else {
                weights = new double[members.length];
                for (int i = 0; i < members.length; i++) {
                    weights[i] = members[i].weight;
                }
            }
        }

        @Override
        Member pick(DefaultLoadBalancer lb, long hash, int stripe) {
            Member[] ms = members;
            Member best = null;
            if (weights == null) {
                long bestScore = Long.MIN_VALUE;
                for (Member m : ms) {
                    long score = Request.mix(hash ^ m.idHash) ^ Long.MIN_VALUE; // unsigned order
                    if ((best == null || score > bestScore) && lb.usable(m)) {
                        best = m;
                        bestScore = score;
                    }
                }
            } else {
                double bestScore = -1;
                for (int i = 0; i < ms.length; i++) {
                    Member m = ms[i];
                    double u = ((Request.mix(hash ^ m.idHash) >>> 11) + 0.5) * 0x1p-53;
                    double score = weights[i] / -Math.log(u);
                    if ((best == null || score > bestScore) && lb.usable(m)) {
                        best = m;
                        bestScore = score;
                    }
                }
            }
            return best;
        }
    }

    /**
     * Jump consistent hashing in Ertl's division-free form, JumpBackHash (O. Ertl, "JumpBackHash: Say Goodbye
     * to the Modulo Operation to Distribute Keys Uniformly to Buckets", Software: Practice and Experience
     * 2025, arXiv:2403.18682), which yields the same kind of mapping as Lamping and Veach's jump consistent
     * hash (arXiv:1406.2294): uniform over n buckets, and growing n to n + 1 moves exactly the keys that go
     * to the new bucket n. It maps to a position in membership order, so it is minimal only for additions
     * and removals at the end. Failover rehashes the key (up to 8 times), then scans.
     *
     * <p>The idea: seen as a random process over growing n, a key "jumps" to bucket i with probability
     * 1/(i + 1), and its bucket for n is its last jump below n. Group buckets by bit length, level k being
     * [2^k, 2^(k+1)): a level holds at least one jump with probability exactly 1/2, and its last jump is
     * uniform over the level. So one random bit per level (here, the key's low hash bits) says which levels
     * have a jump; the highest such level below n gives the answer, uniform within the level. Only the top
     * level can overshoot (candidate &ge; n); then the previous jump is uniform below the candidate, which
     * the loop samples by rejection over the level's range until it lands below n (in the level: the answer;
     * below it: the next lower level with a jump). Candidate bits for level k are a fixed function of the key
     * and k (disjoint fields of the high hash bits up to level 7, a per-level mix above), independent of the
     * walk, which is what makes the mapping consistent across n. Cost up to 256 buckets: a few bit
     * operations (the level mask is computed once per snapshot; the top level's field position comes from a
     * packed constant indexed by the level bits' leading-zero count), plus one 64-bit mix per rejection round
     * when the top level overshoots (probability below 1/2, fewer than 1 round expected); no division or
     * floating point. Like Maglev, the pick returns the stripe's handle from a per-snapshot array.
     */
    static final class Jump extends Picker {
        /**
         * For a top level k of 0 to 7, byte {@code 7 - k} holds the first hash bit of the level's candidate field,
         * {@code 32 + k(k-1)/2}, so that {@code SHIFTS >>> (nlz << 3)} with {@code nlz = 31 - k} (a long shift
         * uses the low 6 bits of its count) is that position: one shift instead of a multiply.
         */
        private static final long SHIFTS;

        static {
            long s = 0;
            for (int k = 0; k <= 7; k++) {
                s |= (long) (32 + (k * (k - 1) >> 1)) << (8 * (7 - k));
            }
            SHIFTS = s;
        }

        /** The level bits of a key for this member count: {@code -1 >>> nlz(n - 1)}, 0 for one member. */
        private final int levelMask;
        /** Every member's handle for every stripe ({@link Picker#handleTable}). */
        private final Member.Handle[] handles;

        Jump(Member[] members) {
            super(members, true, false, true);
            levelMask = levelMask(members.length);
            handles = handleTable(members);
        }

        private static int levelMask(int n) {
            return n <= 1 ? 0 : -1 >>> Integer.numberOfLeadingZeros(n - 1);
        }

        /**
         * The bucket of {@code hash} among {@code n}.
         *
         * @param hash a well-mixed 64-bit hash
         * @param n the number of buckets, &gt; 0
         * @return the bucket in [0, n)
         */
        static int bucket(long hash, int n) {
            return bucket(hash, n, levelMask(n));
        }

        /** {@link #bucket(long, int)} with the level mask of {@code n} precomputed. */
        private static int bucket(long hash, int n, int levelMask) {
            int levels = (int) hash & levelMask;
            if (levels == 0) {
                return 0;
            }
            int b;
            int low;
            if (levels < 1 << 8) {
                // top level k <= 7: the candidate field starts at bit 32 + k(k-1)/2 (see candidate)
                int nlz = Integer.numberOfLeadingZeros(levels);
                low = Integer.MIN_VALUE >>> nlz;
                b = low | ((int) (hash >>> (SHIFTS >>> (nlz << 3))) & (low - 1));
            } else {
                low = Integer.highestOneBit(levels);
                b = low | candidate(hash, low);
            }
            return b < n ? b : overshoot(hash, n, levels, low);
        }

        /** The top level {@code low} overshot n: walk back by rejection sampling over [0, 2 × low). */
        private static int overshoot(long hash, int n, int levels, int low) {
            int range = (low << 1) - 1;
            long state = hash ^ 0xA54FF53A5F1D36F1L;
            for (; ; ) {
                state += 0x9E3779B97F4A7C15L;
                long r = Request.mix(state);
                int c = (int) r & range;
                if (c < low) {
                    break;
                }
                if (c < n) {
                    return c;
                }
                c = (int) (r >>> 32) & range;
                if (c < low) {
                    break;
                }
                if (c < n) {
                    return c;
                }
            }
            levels ^= low;
            if (levels == 0) {
                return 0;
            }
            low = Integer.highestOneBit(levels);
            return low | candidate(hash, low); // below the top level, always < n
        }

        /** Uniform bits below {@code level} (a power of two), a fixed function of the key and the level. */
        private static int candidate(long hash, int level) {
            int k = Integer.numberOfTrailingZeros(level);
            if (k <= 7) {
                // level k uses bits [32 + k(k-1)/2, 32 + k(k+1)/2) of the hash, disjoint for k = 1..7 (bits
                // 32..59), while the level bits are the low 31: up to 256 buckets, no mixing at all
                return (int) (hash >>> (32 + (k * (k - 1) >> 1))) & (level - 1);
            }
            return (int) Request.mix(hash + k * 0xD1B54A32D192ED03L) & (level - 1);
        }

        @Override
        Member pick(DefaultLoadBalancer lb, long hash, int stripe) {
            Member[] ms = members;
            int n = ms.length;
            if (n == 0) {
                return null;
            }
            int i = bucket(hash, n, levelMask);
            Member m = ms[i];
            return lb.usable(m) ? m : failover(lb, ms, hash, i);
        }

        @Override
        Member.Handle pickHandle(DefaultLoadBalancer lb, long hash, int stripe) {
            // unchecked (see Picker#unchecked): the bucket's handle, its member's status read by the caller after
            // the count
            int n = members.length;
            return n == 0 ? null : handles[(bucket(hash, n, levelMask) << STRIPE_BITS) | stripe];
        }

        @Override
        Member.Handle pickHandleChecked(DefaultLoadBalancer lb, long hash, int stripe) {
            Member[] ms = members;
            int n = ms.length;
            if (n == 0) {
                return null;
            }
            int i = bucket(hash, n, levelMask);
            if (lb.usable(ms[i])) {
                return handles[(i << STRIPE_BITS) | stripe];
            }
            Member m = failover(lb, ms, hash, i);
            return m == null ? null : m.handle(stripe);
        }

        private static Member failover(DefaultLoadBalancer lb, Member[] ms, long hash, int i) {
            int n = ms.length;
            for (int attempt = 1; attempt <= 8; attempt++) {
                Member m = ms[bucket(Request.mix(hash + attempt * 0x9E3779B97F4A7C15L), n)];
                if (lb.usable(m)) {
                    return m;
                }
            }
            return scan(lb, ms, i);
        }
    }

    /**
     * Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam, SODA 2018): with m calls in
     * flight over n usable members, a member takes the call only while it has fewer than {@code ⌈c (m +
     * 1) / n⌉} in flight; the key walks along the base ring/table to the next member under the cap. The
     * in-flight unit is reserved by CAS against the cap ({@link Member#tryAcquire}), so the cap holds
     * under concurrency too. Since c ≥ 1 some member is always under the cap; if a race leaves none, the
     * least-loaded usable member takes the call. O(n) for the average, plus the walk.
     */
    static final class BoundedLoad extends Picker {
        private final Walk walk;
        private final double loadFactor;

        BoundedLoad(Member[] members, Walk walk, double loadFactor) {
            super(members, true, true);
            this.walk = walk;
            this.loadFactor = loadFactor;
        }

        static int cap(double loadFactor, long total, int usable) {
            return (int) Math.min(Integer.MAX_VALUE, (long) Math.ceil(loadFactor * (total + 1) / usable));
        }

        @Override
        Member pick(DefaultLoadBalancer lb, long hash, int stripe) {
            Member[] ms = members;
            long total = 0;
            int usable = 0;
            for (Member m : ms) {
                if (lb.usable(m)) {
                    total += m.inFlight();
                    usable++;
                }
            }
            if (usable == 0) {
                return null;
            }
            int cap = cap(loadFactor, total, usable);
            int len = walk.length();
            int i = walk.start(hash);
            for (int k = 0; k < len; k++) {
                Member m = walk.at(i);
                if (lb.usable(m) && m.tryAcquire(cap)) {
                    return m;
                }
                if (++i == len) {
                    i = 0;
                }
            }
            Member best = null;
            for (Member m : ms) {
                if (lb.usable(m) && (best == null || m.inFlight() < best.inFlight())) {
                    best = m;
                }
            }
            if (best != null) {
                Member.IN_FLIGHT.getAndAdd(best, 1);
            }
            return best;
        }
    }
}
