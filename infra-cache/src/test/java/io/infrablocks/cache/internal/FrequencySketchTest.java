package io.infrablocks.cache.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FrequencySketchTest {

    @Test
    void neverUnderestimatesAndIsMostlyExactWhenSizedForTheKeys() {
        FrequencySketch sketch = new FrequencySketch();
        sketch.ensureCapacity(1024);
        assertEquals(1024L, sketch.capacity());
        SplittableRandom random = new SplittableRandom(42);
        int keys = 1024;
        int[] hashes = new int[keys];
        int[] counts = new int[keys];
        long total = 0;
        for (int k = 0; k < keys; k++) {
            hashes[k] = random.nextInt();
            counts[k] = random.nextInt(1, 9); // 1,024 keys x at most 8 < 10,240: no halving yet
            total += counts[k];
            for (int i = 0; i < counts[k]; i++) {
                sketch.increment(hashes[k]);
            }
        }
        assertTrue(total < 10_240, "no reset expected, " + total + " increments");
        int exact = 0;
        for (int k = 0; k < keys; k++) {
            int estimate = sketch.frequency(hashes[k]);
            assertTrue(estimate >= counts[k], "key " + k + ": " + estimate + " < " + counts[k]);
            if (estimate == counts[k]) {
                exact++;
            }
        }
        // four counters per key in four separate quarters of its block: a key is overestimated only if all four
        // of its counters are shared, which is rare at one key per 16 counters
        assertTrue(exact >= keys * 9 / 10, exact + " of " + keys + " exact");
    }
}
