package io.infrablocks.cache.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Hit-ratio regressions of ADAPTIVE on small deterministic synthetic traces (the families of infra-bench's
 * {@code TraceGenerator}), replayed through the policy as the cache does it single-threaded: get; on a miss, put.
 * The bounds are the target (within 1 point of LRU where recency rules) and figures measured when the
 * test was written, so a change that loses hit ratio on one of these workload families fails the build.
 */
class AdaptivePolicyHitRatioTest {

    private static final int REQUESTS = 200_000;

    /** Hits of a replay of {@code keys} through a policy of the given maximum. */
    static long hits(EvictionPolicy policy, long[] keys) {
        PolicyHarness harness = new PolicyHarness(policy);
        for (long key : keys) {
            harness.request(key);
        }
        return harness.hits;
    }

    /**
     * The LRU stack model: with probability 0.9 the key at a geometric stack depth (mean {@code depth}) is
     * requested again and moves to the top; otherwise a new key. LRU is the best online policy here.
     */
    static long[] lruStack(long seed, int depth, int requests) {
        SplittableRandom random = new SplittableRandom(seed);
        long[] stack = new long[64 * depth];
        int size = 0;
        long next = 1;
        double logQ = Math.log1p(-1.0 / depth);
        long[] out = new long[requests];
        for (int i = 0; i < requests; i++) {
            long key;
            if (size > 0 && random.nextDouble() < 0.9) {
                int d = (int) Math.min(size - 1, Math.floor(Math.log(1 - random.nextDouble()) / logQ));
                int index = size - 1 - d;
                key = stack[index];
                System.arraycopy(stack, index + 1, stack, index, d);
                stack[size - 1] = key;
            } else {
                key = next++;
                if (size == stack.length) {
                    int keep = stack.length / 2;
                    System.arraycopy(stack, size - keep, stack, 0, keep);
                    size = keep;
                }
                stack[size++] = key;
            }
            out[i] = key;
        }
        return out;
    }

    /** Zipf(0.8) over {@code keys} keys with a one-off scan of {@code scan} fresh keys every 30,000 requests. */
    static long[] zipfWithScans(long seed, int keys, int scan, int requests) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] cdf = new double[keys];
        double sum = 0;
        for (int r = 0; r < keys; r++) {
            sum += 1 / Math.pow(r + 1, 0.8);
            cdf[r] = sum;
        }
        long[] out = new long[requests];
        long fresh = 1L << 40;
        int i = 0;
        while (i < requests) {
            for (int k = 0; k < 30_000 - scan && i < requests; k++) {
                int rank = Arrays.binarySearch(cdf, random.nextDouble() * sum);
                out[i++] = 1_000_003L * (rank >= 0 ? rank : -rank - 1);
            }
            for (int k = 0; k < scan && i < requests; k++) {
                out[i++] = fresh++;
            }
        }
        return out;
    }

    @Test
    void staysWithinOnePointOfLruWhereRecencyRulesInALargeCache() {
        // A cache above 1,024 entries, so the policy's simulations run on a hash sample of the keys. ADAPTIVE hit
        // 159,052 when this test was written; the session-3 policy 157,147 (1.8 points under LRU: this fails).
        long[] trace = lruStack(11, 2_000, REQUESTS);
        long lru = hits(new LruPolicy(4_000), trace);
        long adaptive = hits(new AdaptivePolicy(4_000), trace);
        assertEquals(160_743, lru);
        assertTrue(adaptive >= lru - REQUESTS / 100, "ADAPTIVE " + adaptive + " vs LRU " + lru);
    }

    @Test
    void staysWithinOnePointOfLruWhereRecencyRulesInASmallCache() {
        // ADAPTIVE hit 165,290 when this test was written.
        long[] trace = lruStack(12, 200, REQUESTS);
        long lru = hits(new LruPolicy(500), trace);
        long adaptive = hits(new AdaptivePolicy(500), trace);
        assertEquals(165_594, lru);
        assertTrue(adaptive >= lru - REQUESTS / 100, "ADAPTIVE " + adaptive + " vs LRU " + lru);
    }

    @Test
    void keepsTheHotSetThroughScans() {
        // ADAPTIVE hit 108,950 (54.48%) when this test was written, LRU 46.66%.
        long[] trace = zipfWithScans(13, 10_000, 5_000, REQUESTS);
        long lru = hits(new LruPolicy(2_000), trace);
        long adaptive = hits(new AdaptivePolicy(2_000), trace);
        assertEquals(93_325, lru);
        assertTrue(adaptive >= 107_000, "ADAPTIVE " + adaptive + " vs LRU " + lru);
    }
}
