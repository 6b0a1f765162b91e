package io.infrablocks.journal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.infrablocks.testing.ChildJvm;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 loop: a child JVM runs {@code JournalTool append} on lines the test feeds it, and is killed with
 * SIGKILL after a random number of acknowledgements while commits are in flight. After each kill, the journal
 * must hold every acknowledged line of every cycle, in order, and no line twice. {@code -Dinfra.crash.cycles=N}
 * runs N cycles (default 20).
 */
class JournalCrashTest {

    private static final int CYCLES = Integer.getInteger("infra.crash.cycles", 20);

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedLineSurvivesKill9() throws Exception {
        Random random = new Random(Long.getLong("infra.crash.seed", System.nanoTime()));
        Path journal = dir.resolve("journal");
        List<Integer> kept = new ArrayList<>(); // lines of each earlier cycle found after its crash
        long totalAcked = 0;
        for (int cycle = 0; cycle < CYCLES; cycle++) {
            int killAfter = 1 + random.nextInt(60);
            int acked = runAndKill(journal, cycle, killAfter);
            assertTrue(acked >= killAfter, "cycle " + cycle + ": only " + acked + " acks before the child ended");
            totalAcked += acked;

            List<String> lines = replay(journal);
            int at = 0;
            for (int c = 0; c <= cycle; c++) {
                int n = 0;
                while (at < lines.size() && lines.get(at).startsWith("c" + c + "-")) {
                    assertEquals("c" + c + "-" + (n + 1), lines.get(at), "cycle " + c + " line order");
                    n++;
                    at++;
                }
                if (c < cycle) {
                    assertEquals(kept.get(c), n, "cycle " + c + " changed after later recoveries");
                } else {
                    assertTrue(n >= acked, "cycle " + c + ": " + acked + " acknowledged, " + n + " recovered");
                    kept.add(n);
                }
            }
            assertEquals(
                    lines.size(),
                    at,
                    "unexpected lines after position " + at + ": " + lines.subList(at, Math.min(lines.size(), at + 3)));
            assertEquals(
                    0,
                    JournalTool.run(
                            new String[] {"verify", journal.toString()},
                            new ByteArrayInputStream(new byte[0]),
                            new PrintStream(OutputStream.nullOutputStream()),
                            new PrintStream(OutputStream.nullOutputStream())));
        }
        try (Journal j = Journal.open(
                journal,
                JournalConfig.builder()
                        .recoveryMode(RecoveryMode.ABSOLUTE_CONSISTENCY)
                        .build())) {
            long sum = kept.stream().mapToLong(Integer::longValue).sum();
            assertEquals(sum, j.lastLsn());
        }
        System.out.println("JournalCrashTest: " + CYCLES + " kill -9 cycles, " + totalAcked + " acknowledged commits");
    }

    private static int runAndKill(Path journal, int cycle, int killAfter) throws Exception {
        Process child = ChildJvm.sameJdk()
                .jvmArgs("-Xmx64m", "-XX:TieredStopAtLevel=1", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
                .start(JournalTool.class, "append", journal.toString());
        Thread feeder = new Thread(
                () -> {
                    try (OutputStream in = child.getOutputStream()) {
                        for (int n = 1; n <= 1_000_000; n++) {
                            in.write(("c" + cycle + "-" + n + "\n").getBytes(UTF_8));
                            if (n % 8 == 0) {
                                in.flush();
                            }
                        }
                    } catch (IOException e) {
                        // the child died
                    }
                },
                "crash-test-feeder");
        feeder.setDaemon(true);
        feeder.start();
        int acked = 0;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                assertEquals("ack " + (acked + 1), line);
                acked++;
                if (acked == killAfter) {
                    child.destroyForcibly(); // SIGKILL
                    break;
                }
            }
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child did not die");
            feeder.join(10_000);
        }
        return acked;
    }

    private static List<String> replay(Path journal) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = JournalTool.run(
                new String[] {"replay", journal.toString()},
                new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, UTF_8),
                new PrintStream(err, true, UTF_8));
        assertEquals(0, code, err.toString(UTF_8));
        String s = out.toString(UTF_8);
        List<String> lines = new ArrayList<>();
        for (String l : s.split("\\R")) {
            if (!l.isEmpty()) {
                lines.add(l);
            }
        }
        return lines;
    }
}
