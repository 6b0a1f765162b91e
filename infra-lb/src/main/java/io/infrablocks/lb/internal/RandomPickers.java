package io.infrablocks.lb.internal;

import java.util.ArrayDeque;

/**
 * Uniform and weighted random choice.
 *
 * <p>Uniform: one random index; a refused member passes to the next index. Weighted: Vose's alias method
 * (Vose, IEEE TSE 1991; after Walker 1977), built in O(n) per snapshot; a pick draws one random long, whose
 * high half chooses a column and whose low half chooses between the column's own member and its alias:
 * O(1). A refused member triggers up to 8 more draws, then a scan. No shared mutable state.
 */
final class RandomPickers {

    private RandomPickers() {}

    static PickerFactory uniform() {
        return Uniform::new;
    }

    static PickerFactory weighted() {
        return Weighted::new;
    }

    static final class Uniform extends Picker {
        Uniform(Member[] members) {
            super(members, false, false);
        }

        @Override
        Member pick(DefaultLoadBalancer lb, long hash, int stripe) {
            Member[] ms = members;
            int n = ms.length;
            if (n == 0) {
                return null;
            }
            return admitFrom(lb, ms, n == 1 ? 0 : lb.nextInt(n));
        }
    }

    /** Vose's alias table over the members' weights. */
    static final class Alias {
        final double[] probability;
        final int[] alias;

        Alias(Member[] members) {
            int n = members.length;
            probability = new double[n];
            alias = new int[n];
            if (n == 0) {
                return;
            }
            double total = 0;
            for (Member m : members) {
                total += m.weight;
            }
            double[] scaled = new double[n];
            ArrayDeque<Integer> small = new ArrayDeque<>();
            ArrayDeque<Integer> large = new ArrayDeque<>();
            for (int i = 0; i < n; i++) {
                scaled[i] = members[i].weight * n / total;
                (scaled[i] < 1 ? small : large).add(i);
            }
            while (!small.isEmpty() && !large.isEmpty()) {
                int s = small.poll();
                int l = large.poll();
                probability[s] = scaled[s];
                alias[s] = l;
                scaled[l] = scaled[l] + scaled[s] - 1;
                (scaled[l] < 1 ? small : large).add(l);
            }
            while (!large.isEmpty()) {
                int l = large.poll();
                probability[l] = 1;
                alias[l] = l;
            }
            while (!small.isEmpty()) {
                int s = small.poll();
                probability[s] = 1;
                alias[s] = s;
            }
        }

        /** An index drawn with probability proportional to its weight, from one random long. */
        int sample(long r) {
            int column = Picker.reduce(r, probability.length);
            double u = (r & 0xFFFFFFFFL) * 0x1p-32;
            return u < probability[column] ? column : alias[column];
        }

        static boolean uniform(Member[] members) {
            for (Member m : members) {
                if (m.weight != members[0].weight) {
                    return false;
                }
            }
            return true;
        }
    }

    static final class Weighted extends Picker {
        private final Alias alias;

        Weighted(Member[] members) {
            super(members, false, false);
            alias = new Alias(members);
        }

        @Override
        Member pick(DefaultLoadBalancer lb, long hash, int stripe) {
            Member[] ms = members;
            int n = ms.length;
            if (n == 0) {
                return null;
            }
            int i = 0;
            for (int attempt = 0; attempt < 9; attempt++) {
                i = alias.sample(lb.nextLong());
                if (lb.admit(ms[i])) {
                    return ms[i];
                }
            }
            return scan(lb, ms, i);
        }
    }
}
