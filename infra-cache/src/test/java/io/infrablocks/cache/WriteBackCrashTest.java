package io.infrablocks.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.infrablocks.testing.ChildJvm;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a JVM using a durable write-back cache, repeatedly: after each restart (journal replay and
 * flush), the table holds, for every key, its last acknowledged write or a write begun after it, never
 * anything older. {@code -Dinfra.crash.cycles=N} runs more cycles (manual mode); CI runs 20. The child's
 * store is an append-only file ({@code -Dinfra.crash.store=h2}: {@code JdbcCacheStore} over an H2 file
 * database, slower to start).
 */
class WriteBackCrashTest {

    private static final int THREADS = 3;
    private static final int KEYS_PER_THREAD = 8;

    @TempDir
    Path dir;

    private volatile Process child;

    @AfterEach
    void killTheChild() throws InterruptedException {
        Process p = child;
        if (p != null) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void everyAcknowledgedWriteReachesTheStoreAfterKillMinus9() {
        int cycles = Integer.getInteger("infra.crash.cycles", 20);
        // The bound grows with the cycles asked for (manual mode); CI's 20 cycles get 170 s.
        assertTimeoutPreemptively(Duration.ofSeconds(50 + 6L * cycles), () -> run(cycles));
    }

    private void run(int cycles) throws Exception {
        Random random = new Random(Long.getLong("infra.crash.seed", System.nanoTime()));
        Path journal = dir.resolve("journal");
        String db = dir.resolve("db").toString();
        Map<String, String> floor = new HashMap<>(); // the verified table after the last restart
        Map<String, Long> firstBegun = new HashMap<>();
        Map<String, Long> lastBegun = new HashMap<>();
        Map<String, Long> lastAcked = new HashMap<>();
        long totalAcked = 0;
        for (int cycle = 0; cycle <= cycles; cycle++) {
            long firstVersion = (cycle + 1) * 1_000_000L + 1;
            Process child = ChildJvm.sameJdk()
                    .jvmArgs("-Xmx128m", "-XX:TieredStopAtLevel=1", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
                    .start(
                            WriteBackCrashChild.class,
                            journal.toString(),
                            db,
                            Long.toString(firstVersion),
                            Integer.toString(THREADS),
                            Integer.toString(KEYS_PER_THREAD),
                            System.getProperty("infra.crash.store", "file"));
            this.child = child;
            int killAfter = 20 + random.nextInt(200);
            Map<String, String> rows = new HashMap<>();
            int acked = 0;
            boolean ready = false;
            try (BufferedReader in =
                    new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (!ready) {
                        if (line.equals("READY")) {
                            ready = true;
                            verify(cycle, rows, floor, firstBegun, lastBegun, lastAcked);
                            floor = rows;
                            firstBegun.clear();
                            lastBegun.clear();
                            lastAcked.clear();
                            if (cycle == cycles) {
                                break;
                            }
                        } else if (line.startsWith("ROW ")) {
                            String[] p = line.split(" ");
                            rows.put(p[1], p[2]);
                        }
                        continue;
                    }
                    String[] p = line.split(" ");
                    if (p.length != 3) {
                        continue; // a line torn by the kill
                    }
                    long version = Long.parseLong(p[2]);
                    if (p[0].equals("B")) {
                        firstBegun.putIfAbsent(p[1], version);
                        lastBegun.put(p[1], version);
                    } else if (p[0].equals("A")) {
                        lastAcked.put(p[1], version);
                        if (++acked == killAfter) {
                            // SIGKILL through the handle: unlike Process.destroyForcibly() it leaves our end of
                            // the pipe open, so the lines the child wrote before dying are still read.
                            child.toHandle().destroyForcibly();
                        }
                    }
                }
            } finally {
                child.destroyForcibly();
                assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child did not die");
            }
            assertTrue(ready, "cycle " + cycle + ": the child never became ready (exit " + child.exitValue() + ")");
            if (cycle < cycles) {
                assertTrue(acked >= killAfter, "cycle " + cycle + ": only " + acked + " writes acknowledged");
                totalAcked += acked;
            }
        }
        System.out.println("WriteBackCrashTest: " + cycles + " kill -9 cycles, " + totalAcked
                + " acknowledged writes, all in the store after restart");
    }

    /** Checks the table after a restart against what the killed run acknowledged and began. */
    private static void verify(
            int cycle,
            Map<String, String> rows,
            Map<String, String> floor,
            Map<String, Long> firstBegun,
            Map<String, Long> lastBegun,
            Map<String, Long> lastAcked) {
        Set<String> keys = new HashSet<>(rows.keySet());
        keys.addAll(floor.keySet());
        keys.addAll(lastBegun.keySet());
        for (String key : keys) {
            String actual = rows.get(key);
            Long begunTo = lastBegun.get(key);
            if (begunTo == null) {
                assertEquals(floor.get(key), actual, "cycle " + cycle + ": key " + key + " changed without writes");
                continue;
            }
            Long acked = lastAcked.get(key);
            long from = acked != null ? acked : firstBegun.get(key);
            boolean allowed = acked == null && java.util.Objects.equals(floor.get(key), actual);
            for (long v = from; v <= begunTo && !allowed; v++) {
                String state = WriteBackCrashChild.isDelete(v) ? null : Long.toString(v);
                allowed = java.util.Objects.equals(state, actual);
            }
            if (!allowed) {
                fail("cycle " + cycle + ": key " + key + " is " + actual + " in the store, but the last acknowledged"
                        + " write was version " + acked + " and the last begun " + begunTo + " (before: "
                        + floor.get(key) + ")");
            }
        }
    }
}
