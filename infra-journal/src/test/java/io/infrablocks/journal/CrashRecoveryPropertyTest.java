package io.infrablocks.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.infrablocks.journal.internal.FileJournal;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * After a simulated crash that keeps only what the last force made durable plus a random torn or garbage tail,
 * recovery shows every acknowledged commit, in order, and no aborted or partial transaction.
 */
class CrashRecoveryPropertyTest {

    @Property(tries = 60)
    void everyAcknowledgedCommitSurvivesACrash(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 60) int operations,
            @ForAll @IntRange(min = 0, max = 8) int inFlightAtCrash,
            @ForAll boolean preallocate,
            @ForAll boolean withCheckpoint)
            throws IOException {
        Path dir = Files.createTempDirectory("journal-crash-prop");
        try {
            run(dir, seed, operations, inFlightAtCrash, preallocate, withCheckpoint);
        } finally {
            deleteTree(dir);
        }
    }

    private static void run(
            Path dir, long seed, int operations, int inFlight, boolean preallocate, boolean withCheckpoint)
            throws IOException {
        Random random = new Random(seed);
        SimulatedDisk disk = new SimulatedDisk(seed ^ 0x5DEECE66DL);
        JournalConfig config = JournalConfig.builder()
                .segmentSize(4096)
                .preallocate(preallocate)
                .durability(Durability.sync())
                .build();
        // tx content -> id; every record starts with "<txid>/" so each transaction is recognisable
        Map<String, List<byte[]>> submitted = new HashMap<>();
        Set<String> aborted = new HashSet<>();
        Map<Long, String> acked = new HashMap<>();
        long checkpoint = 0;
        FileJournal j = FileJournal.open(dir, config, disk);
        List<CompletableFuture<Long>> pending = new ArrayList<>();
        List<String> pendingIds = new ArrayList<>();
        try {
            for (int op = 0; op < operations + inFlight; op++) {
                String id = "tx" + op;
                Transaction tx = j.begin();
                List<byte[]> recs = new ArrayList<>();
                int n = random.nextInt(4);
                for (int r = 0; r < n; r++) {
                    byte[] payload = new byte[random.nextInt(700)];
                    random.nextBytes(payload);
                    byte[] rec = concat((id + "/").getBytes(StandardCharsets.UTF_8), payload);
                    recs.add(rec);
                    tx.append(rec);
                }
                if (op < operations && random.nextInt(8) == 0) {
                    tx.abort();
                    aborted.add(id);
                    continue;
                }
                submitted.put(id, recs);
                if (op < operations) {
                    acked.put(tx.commit(), id);
                    if (withCheckpoint && random.nextInt(10) == 0) {
                        checkpoint = j.lastLsn();
                        j.checkpoint(checkpoint);
                    }
                } else {
                    pending.add(tx.commitAsync());
                    pendingIds.add(id);
                }
            }
        } finally {
            disk.crash();
            try {
                j.close();
            } catch (RuntimeException e) {
                // the dead disk may refuse the final force
            }
        }
        for (int i = 0; i < pending.size(); i++) {
            CompletableFuture<Long> f = pending.get(i);
            if (f.isDone() && !f.isCompletedExceptionally()) {
                acked.put(f.join(), pendingIds.get(i));
            }
        }
        String crash = disk.applyCrash();

        List<CommittedTransaction> recovered = new ArrayList<>();
        long last;
        try (Journal r = Journal.open(dir, config)) {
            assertEquals(checkpoint, r.checkpointLsn(), crash);
            r.replay(checkpoint + 1, recovered::add);
            last = r.lastLsn();
            // the journal goes on after recovery
            assertEquals(last + 1, r.append(new byte[] {1}), crash);
        }
        long maxAcked = acked.keySet().stream().mapToLong(Long::longValue).max().orElse(0);
        assertTrue(last >= maxAcked, "last LSN " + last + " < acknowledged " + maxAcked + "\n" + crash);
        long expectLsn = checkpoint + 1;
        for (CommittedTransaction tx : recovered) {
            assertEquals(expectLsn++, tx.lsn(), crash);
            String id = idOf(tx);
            if (id == null) {
                assertEquals(0, tx.records().size());
                String ackedId = acked.get(tx.lsn());
                if (ackedId != null) {
                    assertEquals(0, submitted.get(ackedId).size(), crash);
                }
                continue;
            }
            assertTrue(!aborted.contains(id), "aborted transaction visible: " + id);
            List<byte[]> want = submitted.get(id);
            assertNotNull(want, "unknown transaction " + id);
            assertEquals(want.size(), tx.records().size(), crash);
            for (int i = 0; i < want.size(); i++) {
                assertArrayEquals(want.get(i), bytes(tx.records().get(i)), crash);
            }
            String ackedId = acked.get(tx.lsn());
            if (ackedId != null) {
                assertEquals(ackedId, id, "LSN " + tx.lsn() + "\n" + crash);
            }
        }
        assertEquals(last, expectLsn - 1 < checkpoint ? checkpoint : Math.max(expectLsn - 1, checkpoint), crash);
    }

    private static String idOf(CommittedTransaction tx) {
        if (tx.records().isEmpty()) {
            return null;
        }
        byte[] b = bytes(tx.records().get(0));
        int slash = 0;
        while (b[slash] != '/') {
            slash++;
        }
        return new String(b, 0, slash, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
