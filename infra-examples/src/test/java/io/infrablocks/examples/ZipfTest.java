package io.infrablocks.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ZipfTest {

    @Test
    void ranksStayInRangeAndFollowTheLaw() {
        Zipf zipf = new Zipf(1000, 1.0);
        SplittableRandom random = new SplittableRandom(1);
        int[] counts = new int[1000];
        int samples = 200_000;
        for (int i = 0; i < samples; i++) {
            counts[zipf.next(random)]++;
        }
        // H(1000) = 7.485: rank 0 has probability 1/H = 13.36%, rank 1 half of that.
        double p0 = counts[0] / (double) samples;
        double p1 = counts[1] / (double) samples;
        assertEquals(0.1336, p0, 0.005);
        assertEquals(0.0668, p1, 0.004);
        assertTrue(counts[999] > 0, "the tail is reachable");
    }
}
