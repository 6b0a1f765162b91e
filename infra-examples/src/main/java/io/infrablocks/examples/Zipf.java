package io.infrablocks.examples;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Zipf-distributed ranks in {@code [0, n)}: rank r has probability proportional to {@code 1 / (r + 1)^s}.
 * Sampling is a binary search in the precomputed cumulative distribution (O(log n)); the table is shared
 * and immutable, the random source belongs to the caller.
 */
final class Zipf {

    private final double[] cdf;

    Zipf(int n, double s) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be > 0 but was " + n);
        }
        cdf = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += 1.0 / Math.pow(i + 1, s);
            cdf[i] = sum;
        }
        for (int i = 0; i < n; i++) {
            cdf[i] /= sum;
        }
        cdf[n - 1] = 1.0;
    }

    int next(SplittableRandom random) {
        int i = Arrays.binarySearch(cdf, random.nextDouble());
        return i >= 0 ? i : -i - 1;
    }

    int size() {
        return cdf.length;
    }
}
