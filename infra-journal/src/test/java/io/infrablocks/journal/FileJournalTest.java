package io.infrablocks.journal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class FileJournalTest {

    @TempDir
    Path dir;

    static Stream<Arguments> policies() {
        return Stream.of(
                Arguments.of(Durability.sync(), false),
                Arguments.of(Durability.sync(), true),
                Arguments.of(Durability.periodic(Duration.ofMillis(5)), false),
                Arguments.of(Durability.none(), true));
    }

    static JournalConfig.Builder small(Durability d, boolean preallocate) {
        return JournalConfig.builder().durability(d).preallocate(preallocate).segmentSize(4096);
    }

    static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    static String s(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return new String(a, UTF_8);
    }

    static List<String> replayAll(Journal j, long from) {
        List<String> out = new ArrayList<>();
        j.replay(
                from,
                tx -> out.add(tx.lsn() + ":"
                        + String.join(
                                ",",
                                tx.records().stream().map(FileJournalTest::s).toList())));
        return out;
    }

    @ParameterizedTest
    @MethodSource("policies")
    void commitsReplayInOrderAndSurviveReopen(Durability d, boolean preallocate) {
        JournalConfig config = small(d, preallocate).build();
        List<String> expected = new ArrayList<>();
        try (Journal j = Journal.open(dir, config)) {
            assertEquals(0, j.lastLsn());
            for (int i = 1; i <= 200; i++) {
                Transaction tx = j.begin().append(b("a" + i)).append(ByteBuffer.wrap(b("b" + i)));
                if (i % 10 == 0) {
                    tx.abort();
                    continue;
                }
                long lsn = tx.commit();
                expected.add(lsn + ":a" + i + ",b" + i);
            }
            assertEquals(180, j.lastLsn());
            assertEquals(expected, replayAll(j, 1));
            assertEquals(expected.subList(99, 180), replayAll(j, 100));
            JournalMetrics m = j.metrics();
            assertEquals(180, m.commits());
            assertEquals(20, m.aborts());
            assertEquals(360, m.records());
            assertTrue(m.segments() > 1, "segments rolled: " + m.segments());
        }
        try (Journal j = Journal.open(dir, config)) {
            assertEquals(180, j.lastLsn());
            assertEquals(expected, replayAll(j, 0));
            assertEquals(181, j.append(b("x")));
        }
    }

    @Test
    void checkpointDeletesWhollyAppliedSegmentsAndSurvivesReopen() throws Exception {
        JournalConfig config = small(Durability.sync(), false).build();
        try (Journal j = Journal.open(dir, config)) {
            for (int i = 1; i <= 300; i++) {
                j.append(b("record-" + i));
            }
            int before = j.metrics().segments();
            j.checkpoint(250);
            assertEquals(250, j.checkpointLsn());
            int after = j.metrics().segments();
            assertTrue(after < before, before + " -> " + after);
            List<String> tail = replayAll(j, 251);
            assertEquals(50, tail.size());
            assertEquals("251:record-251", tail.get(0));
            j.checkpoint(10); // lower: ignored
            assertEquals(250, j.checkpointLsn());
            var e = assertThrows(IllegalArgumentException.class, () -> j.checkpoint(301));
            assertEquals("lsn must be <= lastLsn 300 of journal 'journal' but was 301", e.getMessage());
        }
        try (Journal j = Journal.open(dir, config)) {
            assertEquals(250, j.checkpointLsn());
            assertEquals(300, j.lastLsn());
            List<String> all = replayAll(j, 251);
            assertEquals(50, all.size());
            assertEquals("300:record-300", all.get(49));
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(0, files.filter(p -> p.toString().endsWith(".tmp")).count());
        }
    }

    @Test
    void checkpointOfEverythingThenReopenContinuesAfterIt() {
        JournalConfig config = small(Durability.none(), false).build();
        try (Journal j = Journal.open(dir, config)) {
            for (int i = 1; i <= 100; i++) {
                j.append(b("r" + i));
            }
            j.checkpoint(100);
        }
        try (Journal j = Journal.open(dir, config)) {
            assertEquals(100, j.lastLsn());
            assertEquals(101, j.append(b("next")));
            assertEquals(List.of("101:next"), replayAll(j, 101));
        }
    }

    @Test
    void secondOpenOfTheSameDirectoryFailsFast() {
        try (Journal j = Journal.open(dir, JournalConfig.builder().build())) {
            var e = assertThrows(
                    JournalException.class,
                    () -> Journal.open(dir, JournalConfig.builder().build()));
            assertTrue(e.getMessage().contains("is locked"), e.getMessage());
            j.append(b("still works"));
        }
        try (Journal j = Journal.open(dir, JournalConfig.builder().build())) {
            assertEquals(1, j.lastLsn());
        }
    }

    @Test
    void oversizedRecordsAreRejected() {
        try (Journal j =
                Journal.open(dir, JournalConfig.builder().maxRecordSize(10).build())) {
            var e = assertThrows(IllegalArgumentException.class, () -> j.append(new byte[11]));
            assertEquals("record of 11 bytes exceeds maxRecordSize 10 of journal 'journal'", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> j.begin().append(new byte[11]));
            assertEquals(1, j.append(new byte[10]));
        }
    }

    @Test
    void useAfterCloseAndMisuseAreIllegalState() {
        Journal j = Journal.open(dir, JournalConfig.builder().build());
        Transaction tx = j.begin().append(b("x"));
        assertEquals(1, tx.commit());
        assertThrows(IllegalStateException.class, tx::commit);
        assertThrows(IllegalStateException.class, () -> tx.append(b("y")));
        tx.abort(); // no-op after commit
        Transaction open = j.begin().append(b("z"));
        j.close();
        j.close(); // idempotent
        assertEquals(
                "journal 'journal' is closed",
                assertThrows(IllegalStateException.class, j::begin).getMessage());
        assertThrows(IllegalStateException.class, open::commit);
        assertThrows(IllegalStateException.class, () -> j.append(b("x")));
        assertThrows(IllegalStateException.class, () -> j.replay(1, t -> {}));
        assertThrows(
                NullPointerException.class,
                () -> Journal.open(null, JournalConfig.builder().build()));
    }

    @Test
    void concurrentSyncCommittersShareForces() {
        JournalConfig config =
                JournalConfig.builder().durability(Durability.sync()).build();
        int threads = 16;
        int perThread = 50;
        try (Journal j = Journal.open(dir, config)) {
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                CyclicBarrier start = new CyclicBarrier(threads);
                List<CompletableFuture<Void>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int id = t;
                    done.add(CompletableFuture.runAsync(
                            () -> {
                                try {
                                    start.await();
                                } catch (Exception e) {
                                    throw new IllegalStateException(e);
                                }
                                long prev = 0;
                                for (int i = 0; i < perThread; i++) {
                                    long lsn = j.append(b(id + "-" + i));
                                    assertTrue(lsn > prev);
                                    prev = lsn;
                                }
                            },
                            r -> new Thread(r).start()));
                }
                CompletableFuture.allOf(done.toArray(new CompletableFuture<?>[0]))
                        .join();
            });
            JournalMetrics m = j.metrics();
            assertEquals(threads * perThread, m.commits());
            assertEquals(threads * perThread, j.lastLsn());
            assertTrue(m.forces() < m.commits(), "group commit shared forces: " + m);
            // every thread's records replay in its own order
            List<List<Integer>> seen = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                seen.add(new ArrayList<>());
            }
            j.replay(1, tx -> {
                String[] p = s(tx.records().get(0)).split("-");
                seen.get(Integer.parseInt(p[0])).add(Integer.parseInt(p[1]));
            });
            for (List<Integer> l : seen) {
                assertEquals(perThread, l.size());
                for (int i = 0; i < perThread; i++) {
                    assertEquals(i, l.get(i));
                }
            }
        }
    }

    @Test
    void listenerSeesGroupCommitsAndCheckpoints() {
        List<String> events = new CopyOnWriteArrayList<>();
        JournalListener listener = new JournalListener() {
            @Override
            public void onGroupCommit(int transactions, long bytes, long forceNanos) {
                events.add("commit " + transactions + " " + bytes);
            }

            @Override
            public void onCheckpoint(long lsn, int segmentsDeleted) {
                events.add("checkpoint " + lsn + " " + segmentsDeleted);
            }
        };
        try (Journal j =
                Journal.open(dir, JournalConfig.builder().listener(listener).build())) {
            j.append(b("abc"));
            j.checkpoint(1);
        }
        assertEquals(List.of("commit 1 47", "checkpoint 1 0"), events);
    }

    @Test
    void anIoFailureFailsTheCommitAndEveryLaterOne() {
        SimulatedDisk disk = new SimulatedDisk(1);
        for (Durability d : List.of(Durability.sync(), Durability.none())) {
            Path sub = dir.resolve(d.toString());
            try (Journal j = io.infrablocks.journal.internal.FileJournal.open(
                    sub, JournalConfig.builder().durability(d).build(), disk)) {
                assertEquals(1, j.append(b("ok")));
                disk.crash();
                var first = assertThrows(JournalException.class, () -> j.append(b("lost")));
                assertTrue(first.getMessage().contains("simulated crash"), first.getMessage());
                var later = assertThrows(JournalException.class, () -> j.append(b("lost too")));
                assertTrue(later.getMessage().contains("accepts no more commits"), later.getMessage());
                var async = assertThrows(java.util.concurrent.CompletionException.class, () -> j.appendAsync(b("async"))
                        .join());
                assertInstanceOf(JournalException.class, async.getCause());
                assertEquals(1, j.lastLsn());
            }
            disk = new SimulatedDisk(2);
        }
    }

    @Test
    void periodicDurabilityForcesWithoutCommits() {
        try (Journal j = Journal.open(
                dir,
                JournalConfig.builder()
                        .durability(Durability.periodic(Duration.ofMillis(2)))
                        .build())) {
            j.append(b("x"));
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                while (j.metrics().forces() < 2) {
                    Thread.onSpinWait();
                }
            });
            assertTrue(j.metrics().forces() >= 2, j.metrics().toString());
        }
    }

    @Test
    void commitAsyncCompletesWithTheLsn() {
        try (Journal j = Journal.open(dir, JournalConfig.builder().build())) {
            CompletableFuture<Long> a = j.appendAsync(b("a"));
            CompletableFuture<Long> c = j.begin().append(b("b")).commitAsync();
            assertEquals(1L, a.join());
            assertEquals(2L, c.join());
            assertEquals(List.of("1:a", "2:b"), replayAll(j, 1));
        }
    }

    @Test
    void emptyTransactionsTakeAnLsn() {
        try (Journal j = Journal.open(dir, JournalConfig.builder().build())) {
            assertEquals(1, j.begin().commit());
            assertEquals(List.of("1:"), replayAll(j, 1));
        }
        try (Journal j = Journal.open(dir, JournalConfig.builder().build())) {
            assertEquals(1, j.lastLsn());
        }
    }

    @Test
    void tailFollowsNewCommits() throws Exception {
        try (Journal j = Journal.open(dir, small(Durability.sync(), false).build())) {
            j.append(b("before"));
            List<String> got = new CopyOnWriteArrayList<>();
            CountDownLatch all = new CountDownLatch(101);
            AutoCloseable t = j.tail(1, tx -> {
                got.add(s(tx.records().get(0)));
                all.countDown();
            });
            try {
                for (int i = 0; i < 100; i++) {
                    j.append(b("after-" + i));
                }
                assertTrue(all.await(30, TimeUnit.SECONDS), "tail delivered " + got.size());
            } finally {
                t.close();
            }
            assertEquals(101, got.size());
            assertEquals("before", got.get(0));
            assertEquals("after-99", got.get(100));
        }
    }

    @Test
    void largeTransactionBiggerThanASegment() {
        try (Journal j = Journal.open(dir, small(Durability.sync(), true).build())) {
            byte[] big = new byte[10_000];
            big[9999] = 7;
            j.append(b("small"));
            long lsn = j.begin().append(big).append(big).commit();
            j.append(b("after"));
            List<CommittedTransaction> txs = new ArrayList<>();
            j.replay(lsn, txs::add);
            assertEquals(2, txs.size());
            assertEquals(2, txs.get(0).records().size());
            assertEquals(7, txs.get(0).records().get(1).get(9999));
        }
        try (Journal j = Journal.open(dir, small(Durability.sync(), true).build())) {
            assertEquals(3, j.lastLsn());
        }
    }
}
