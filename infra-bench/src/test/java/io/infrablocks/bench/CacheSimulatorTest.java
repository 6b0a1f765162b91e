package io.infrablocks.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheSimulatorTest {

    @TempDir
    Path dir;

    private record Result(int status, String out, String err) {}

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = CacheSimulator.run(args, o, e);
        }
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A skewed trace with a loop and a scan mixed in, so policies differ. */
    private static List<String> sampleKeys(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int kind = random.nextInt(10);
            if (kind < 6) {
                double u = random.nextDouble();
                keys.add(Integer.toString((int) (200 * u * u * u)));
            } else if (kind < 9) {
                keys.add(Integer.toString(1000 + i % 150));
            } else {
                keys.add(Integer.toString(100_000 + i));
            }
        }
        return keys;
    }

    private Path writeText(String name, List<String> keys) throws IOException {
        Path path = dir.resolve(name);
        Files.write(path, keys, StandardCharsets.UTF_8);
        return path;
    }

    private Path writeGzip(String name, List<String> keys) throws IOException {
        Path path = dir.resolve(name);
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(path))) {
            out.write((String.join("\n", keys) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        return path;
    }

    @Test
    void printsOneCsvRowPerTraceSizeAndPolicy() throws IOException {
        Path trace = writeText("tiny.txt", List.of("a", "b", "c", "", "a", "b", "c"));
        Result result = run("--trace", trace.toString(), "--sizes", "2", "--policies", "lru,opt");
        assertEquals(0, result.status(), result.err());
        // lru(2) never hits a 3-key cycle; opt: c evicts b (next used after a), a hits, b evicts a, c hits
        assertEquals(
                "trace,size,policy,requests,hits,hit_ratio\n"
                        + "tiny.txt,2,lru,6,0,0.0000\n"
                        + "tiny.txt,2,opt,6,2,0.3333\n",
                result.out().replace("\r\n", "\n"));
        assertEquals("", result.err());
    }

    @Test
    void readsGzipAndTextAlikeWhateverTheFileName() throws IOException {
        List<String> keys = sampleKeys(5_000, 1);
        Path text = writeText("trace.keys", keys);
        Path gzip = writeGzip("trace-compressed.keys", keys);
        Result result =
                run("--trace", text + "," + gzip, "--sizes", "50,100", "--policies", "lru,adaptive,opt,caffeine");
        assertEquals(0, result.status(), result.err());
        String[] lines = result.out().split("\\R");
        assertEquals(1 + 2 * 2 * 4, lines.length);
        for (int i = 1; i <= 8; i++) {
            String plain = lines[i].substring(lines[i].indexOf(','));
            String compressed = lines[i + 8].substring(lines[i + 8].indexOf(','));
            assertEquals(plain, compressed);
            assertTrue(lines[i].startsWith("trace.keys,"), lines[i]);
            assertTrue(lines[i + 8].startsWith("trace-compressed.keys,"), lines[i + 8]);
            assertTrue(lines[i].matches("[^,]+,\\d+,[a-z]+,5000,\\d+,[01]\\.\\d{4}"), lines[i]);
        }
    }

    @Test
    void optIsAnUpperBoundAndLruMatchesALinkedHashMap() throws IOException {
        for (long seed = 1; seed <= 3; seed++) {
            Object[] keys = CacheSimulator.readTrace(writeText("t" + seed, sampleKeys(20_000, seed)));
            for (int size : new int[] {10, 64, 150, 400}) {
                long opt = CacheSimulator.replay("opt", keys, size);
                Map<String, Long> hits = new HashMap<>();
                for (String policy : List.of("lru", "adaptive", "caffeine")) {
                    hits.put(policy, CacheSimulator.replay(policy, keys, size));
                    assertTrue(hits.get(policy) <= opt, policy + " " + hits.get(policy) + " > opt " + opt);
                }
                assertEquals(CacheSimulator.replayReferenceLru(keys, size), hits.get("lru"), "size " + size);
            }
        }
    }

    @Test
    void optOnALoopKeepsAFixedSubset() throws IOException {
        // A cyclic trace of 10 keys through 4 slots, 100 rounds: after the cold round, OPT hits 3 in each
        // 10 requests... it keeps 3 keys of the coming cycle, the 4th slot holds the key being missed.
        List<String> keys = new ArrayList<>();
        for (int round = 0; round < 100; round++) {
            for (int k = 0; k < 10; k++) {
                keys.add("k" + k);
            }
        }
        Object[] trace = CacheSimulator.readTrace(writeText("loop", keys));
        assertEquals(0, CacheSimulator.replay("lru", trace, 4));
        long opt = CacheSimulator.replay("opt", trace, 4);
        assertTrue(opt >= 3 * 99 && opt <= 4 * 99, "opt " + opt);
    }

    @Test
    void usageErrorsExitWithTwo() throws IOException {
        Path trace = writeText("ok.txt", List.of("1", "2"));
        String t = trace.toString();
        assertUsageError(
                run("--trace", t, "--sizes", "2", "--policies", "lru", "--verbose"), "unknown option '--verbose'");
        assertUsageError(run("--trace", t, "--sizes", "2", "--policies", "arc"), "unknown policy 'arc'");
        assertUsageError(run("--trace", t, "--sizes", "0", "--policies", "lru"), "size must be > 0 but was 0");
        assertUsageError(run("--trace", t, "--sizes", "x", "--policies", "lru"), "size must be a positive integer");
        assertUsageError(run("--trace", t, "--sizes", "2"), "--trace, --sizes and --policies are all required");
        assertUsageError(run("--trace"), "option --trace needs a value");
        Result missing = run("--trace", dir.resolve("missing.gz").toString(), "--sizes", "2", "--policies", "lru");
        assertEquals(2, missing.status());
        assertTrue(missing.err().contains("cannot read trace"), missing.err());
    }

    private static void assertUsageError(Result result, String message) {
        assertEquals(2, result.status());
        assertTrue(result.err().contains(message), result.err());
        assertTrue(result.err().contains("usage: CacheSimulator"), result.err());
        assertEquals("", result.out());
    }
}
