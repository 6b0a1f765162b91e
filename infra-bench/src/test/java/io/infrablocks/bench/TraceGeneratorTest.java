package io.infrablocks.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceGeneratorTest {

    @TempDir
    Path dir;

    @Test
    void theSameSeedGivesTheSameTraces() {
        assertArrayEquals(
                TraceGenerator.lruStack(new SplittableRandom(7), 0.9, 200, 5_000),
                TraceGenerator.lruStack(new SplittableRandom(7), 0.9, 200, 5_000));
        assertArrayEquals(
                TraceGenerator.zipf(new SplittableRandom(7), 1_000, 0.8, 5_000),
                TraceGenerator.zipf(new SplittableRandom(7), 1_000, 0.8, 5_000));
    }

    @Test
    void aLoopRepeatsItsKeysInOrder() {
        long[] loop = TraceGenerator.loop(new SplittableRandom(1), 100, 1_000);
        Set<Long> distinct = new HashSet<>();
        for (int i = 0; i < loop.length; i++) {
            distinct.add(loop[i]);
            assertEquals(loop[i % 100], loop[i]);
        }
        assertEquals(100, distinct.size());
    }

    @Test
    void writesTracesTheSimulatorReadsAndAManifest() throws IOException {
        long[] keys = TraceGenerator.zipf(new SplittableRandom(3), 50, 1.0, 2_000);
        TraceGenerator.write(dir, List.of(new TraceGenerator.Trace("tiny", keys, new int[] {5, 20})));
        assertEquals("tiny.keys.gz 5,20\n", Files.readString(dir.resolve("sizes.txt")));
        Object[] read = CacheSimulator.readTrace(dir.resolve("tiny.keys.gz"));
        assertEquals(keys.length, read.length);
        for (int i = 0; i < keys.length; i++) {
            assertEquals(keys[i], read[i]);
        }
    }

    @Test
    void anUnknownOptionExitsWithStatus2() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = TraceGenerator.run(
                new String[] {"--bogus", "x"},
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, status);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown option '--bogus'"));
    }
}
