package io.infrablocks.lb.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.infrablocks.lb.Request;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class JumpHashTest {

    @Test
    void growingByOneBucketMovesKeysOnlyToTheNewBucket() {
        SplittableRandom r = new SplittableRandom(42);
        for (int key = 0; key < 2_000; key++) {
            long h = r.nextLong();
            int previous = 0;
            for (int n = 1; n <= 1_100; n++) {
                int b = HashPickers.Jump.bucket(h, n);
                assertTrue(b >= 0 && b < n, "bucket " + b + " of " + n);
                assertTrue(b == previous || b == n - 1, "key " + h + ": " + previous + " -> " + b + " at n=" + n);
                previous = b;
            }
        }
    }

    @Test
    void largeBucketCountsAreConsistentToo() {
        SplittableRandom r = new SplittableRandom(7);
        for (int key = 0; key < 20_000; key++) {
            long h = r.nextLong();
            int n = 1_000 + r.nextInt(5_000_000);
            int b = HashPickers.Jump.bucket(h, n);
            int grown = HashPickers.Jump.bucket(h, n + 1);
            assertTrue(b >= 0 && b < n);
            assertTrue(grown == b || grown == n, "key " + h + ": " + b + " -> " + grown + " at n=" + n);
        }
    }

    @Test
    void keysAreUniformOverTheBuckets() {
        for (int n : new int[] {3, 10, 100, 129, 1000, 3000}) {
            int keys = 2_000 * n;
            int[] counts = new int[n];
            for (int k = 0; k < keys; k++) {
                counts[HashPickers.Jump.bucket(Request.hash("key-" + k), n)]++;
            }
            double expected = keys / (double) n;
            double chi2 = 0;
            for (int c : counts) {
                chi2 += (c - expected) * (c - expected) / expected;
            }
            // chi-square with n - 1 degrees of freedom: mean n - 1, sd sqrt(2(n - 1)); 5 sd is far out
            double bound = (n - 1) + 5 * Math.sqrt(2.0 * (n - 1));
            assertTrue(chi2 < bound, "n=" + n + ": chi2 " + chi2 + " >= " + bound);
        }
    }

    @Test
    void oneBucketTakesEverything() {
        assertEquals(0, HashPickers.Jump.bucket(-1L, 1));
        assertEquals(0, HashPickers.Jump.bucket(0L, 2));
    }
}
