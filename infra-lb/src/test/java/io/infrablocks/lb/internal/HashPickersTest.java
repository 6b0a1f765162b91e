package io.infrablocks.lb.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.infrablocks.lb.Endpoint;
import io.infrablocks.lb.LoadBalancer;
import io.infrablocks.lb.Request;
import io.infrablocks.lb.Strategy;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The hash pickers' fast paths against their plain forms: jump's bucket against the first published
 * implementation (users' keys must not move on upgrade), and each picker's {@code pickHandle} against {@code
 * pick} followed by {@code handle(stripe)}, healthy and with refused members.
 */
class HashPickersTest {

    /** Keys per bucket count; {@code -Dinfra.lb.jumpKeys=4000000} for the full manual check. */
    private static final int JUMP_KEYS = Integer.getInteger("infra.lb.jumpKeys", 4_000);

    @Test
    void jumpBucketIsTheFirstPublishedMapping() {
        SplittableRandom r = new SplittableRandom(5);
        long[] hashes = new long[JUMP_KEYS];
        for (int k = 0; k < hashes.length; k++) {
            // every 16th key has few low bits set, so the low levels and the empty level set are exercised
            hashes[k] = k % 16 == 0 ? r.nextLong() & ~0xFFFFL : r.nextLong();
        }
        for (int n = 1; n <= 1_000; n++) {
            for (long h : hashes) {
                checkBucket(h, n);
            }
        }
        for (int k = 0; k < 100_000; k++) {
            long h = r.nextLong();
            int n = 1 + r.nextInt(r.nextBoolean() ? 70_000 : Integer.MAX_VALUE - 1);
            checkBucket(h, n);
        }
        for (long h : new long[] {0, -1, Long.MIN_VALUE, Long.MAX_VALUE, 1, 0xFFL, 0xFF00000000L}) {
            for (int n : new int[] {1, 2, 3, 255, 256, 257, 511, 512, 513, 1 << 20, Integer.MAX_VALUE}) {
                checkBucket(h, n);
            }
        }
    }

    private static void checkBucket(long h, int n) {
        int expected = ReferenceJump.bucket(h, n);
        int actual = HashPickers.Jump.bucket(h, n);
        if (expected != actual) {
            assertEquals(expected, actual, "hash " + h + ", n=" + n);
        }
    }

    @Test
    void maglevSlotsHoldTheBuiltTableWhateverTheIndexType() {
        for (int n : new int[] {1, 2, 15, 16, 17, 100, 256, 257}) {
            Member[] members = new Member[n];
            for (int i = 0; i < n; i++) {
                members[i] = new Member(
                        null, Endpoint.of("m" + i, "127.0.0.1", 2000 + i).withWeight(1 + i % 3), true, false);
            }
            for (int size : new int[] {7, 65537}) {
                int[] built = HashPickers.Maglev.build(members, size);
                HashPickers.Maglev maglev = new HashPickers.Maglev(members, size);
                assertEquals(built.length, maglev.length());
                for (int i = 0; i < built.length; i++) {
                    if (maglev.at(i) != members[built[i]]) {
                        assertSame(members[built[i]], maglev.at(i), "n=" + n + ", size " + size + ", slot " + i);
                    }
                }
            }
        }
    }

    @Test
    void maglevPickHandleCheckedIsPickThenHandle() {
        for (int n : new int[] {0, 1, 2, 10, 100, 256, 257, 300}) {
            for (int size : new int[] {7, 65537}) {
                checkPickHandle(HashPickers.maglev(size), n);
            }
        }
    }

    @Test
    void jumpPickHandleCheckedIsPickThenHandle() {
        for (int n : new int[] {0, 1, 2, 10, 100, 256, 257, 300}) {
            checkPickHandle(HashPickers.jump(), n);
        }
    }

    private static void checkPickHandle(PickerFactory factory, int n) {
        try (LoadBalancer built = LoadBalancer.builder()
                .endpoints(Endpoint.of("unused", "127.0.0.1", 1))
                .strategy(Strategy.roundRobin())
                .build()) {
            DefaultLoadBalancer lb = (DefaultLoadBalancer) built;
            Member[] members = new Member[n];
            for (int i = 0; i < n; i++) {
                members[i] = new Member(lb, Endpoint.of("m" + i, "127.0.0.1", 2000 + i), true, false);
            }
            Picker picker = factory.create(members);
            SplittableRandom r = new SplittableRandom(n);
            for (int round = 0; round < 3; round++) {
                if (round == 1) {
                    // refuse every third member: pickHandle must fail over exactly as pick does
                    for (int i = 0; i < n; i += 3) {
                        members[i].setBits(Member.DRAINING);
                    }
                } else if (round == 2) {
                    // refuse all: both give null
                    for (Member m : members) {
                        m.setBits(Member.DRAINING);
                    }
                }
                int keys = round == 2 ? 100 : 20_000; // refused picks walk the whole table
                for (int k = 0; k < keys; k++) {
                    long h = k < 2 ? (k == 0 ? 0 : -1) : r.nextLong();
                    int stripe = k % Stripes.COUNT;
                    Member m = picker.pick(lb, h, stripe);
                    Member.Handle handle = picker.pickHandleChecked(lb, h, stripe);
                    if (m == null) {
                        assertNull(handle, "n=" + n + ", hash " + h);
                    } else {
                        assertSame(m.handle(stripe), handle, "n=" + n + ", hash " + h);
                        assertEquals(stripe, handle.stripe);
                    }
                    // unchecked: the key's own member whatever its status, which the checked pick takes when it
                    // may (the balancer re-picks checked otherwise)
                    Member.Handle unchecked = picker.pickHandle(lb, h, stripe);
                    assertTrue(picker.unchecked);
                    if (n == 0) {
                        assertNull(unchecked);
                    } else if (round == 0) {
                        assertSame(handle, unchecked, "n=" + n + ", hash " + h);
                    } else if (unchecked == null) {
                        assertNull(handle, "n=" + n + ", hash " + h); // beyond 256 members Maglev checks anyway
                    } else if (unchecked.member.status == 0) {
                        assertSame(handle, unchecked, "n=" + n + ", hash " + h);
                    }
                }
            }
        }
    }

    /** Jump's bucket as first published (session 4), kept verbatim as the mapping to preserve. */
    static final class ReferenceJump {
        static int bucket(long hash, int n) {
            if (n <= 1) {
                return 0;
            }
            int levels = (int) hash & (-1 >>> Integer.numberOfLeadingZeros(n - 1));
            if (levels == 0) {
                return 0;
            }
            int low = Integer.highestOneBit(levels);
            int b = low | candidate(hash, low);
            if (b < n) {
                return b;
            }
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
            return low | candidate(hash, low);
        }

        private static int candidate(long hash, int level) {
            int k = Integer.numberOfTrailingZeros(level);
            if (k <= 7) {
                return (int) (hash >>> (32 + (k * (k - 1) >> 1))) & (level - 1);
            }
            return (int) Request.mix(hash + k * 0xD1B54A32D192ED03L) & (level - 1);
        }
    }
}
