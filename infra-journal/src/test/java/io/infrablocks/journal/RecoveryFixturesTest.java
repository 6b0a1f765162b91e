package io.infrablocks.journal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged journals with exact expected outcomes per {@link RecoveryMode}. The fixture journal has five
 * transactions of one 4-byte record ({@code tx-1} .. {@code tx-5}): segment header 32 bytes, then per
 * transaction a DATA record (20 + 4) and a COMMIT record (20 + 4), so transaction {@code i} starts at offset
 * {@code 32 + 48 (i - 1)} and the file is 272 bytes.
 */
class RecoveryFixturesTest {

    private static final String SEGMENT = "00000000000000000001.seg";
    private static final long TX5 = 32 + 48 * 4;
    private static final long END = 32 + 48 * 5;

    @TempDir
    Path root;

    private Path fixture(boolean preallocate) {
        Path dir = root.resolve("fixture");
        JournalConfig config = JournalConfig.builder()
                .durability(Durability.none())
                .preallocate(preallocate)
                .segmentSize(8192)
                .build();
        try (Journal j = Journal.open(dir, config)) {
            for (int i = 1; i <= 5; i++) {
                j.append(("tx-" + i).getBytes(UTF_8));
            }
        }
        return dir;
    }

    /** The payloads recovered by opening a copy of {@code dir} in {@code mode}, then the LSN a new append gets. */
    private List<String> recover(Path dir, RecoveryMode mode) throws IOException {
        Path copy = root.resolve("copy-" + mode + "-" + System.nanoTime());
        Files.createDirectories(copy);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.copy(p, copy.resolve(p.getFileName()));
            }
        }
        List<String> out = new ArrayList<>();
        JournalConfig config = JournalConfig.builder().recoveryMode(mode).build();
        try (Journal j = Journal.open(copy, config)) {
            j.replay(1, tx -> out.add(new String(bytes(tx.records().get(0)), UTF_8)));
            out.add("next=" + j.append(new byte[] {9}));
        }
        // what recovery left is consistent even for the strictest mode
        try (Journal j = Journal.open(
                copy,
                JournalConfig.builder()
                        .recoveryMode(RecoveryMode.ABSOLUTE_CONSISTENCY)
                        .build())) {
            assertEquals(out.size(), j.lastLsn());
        }
        return out;
    }

    private JournalException fails(Path dir, RecoveryMode mode) {
        return assertThrows(JournalException.class, () -> recover(dir, mode));
    }

    private static List<String> txs(int n) {
        List<String> l = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            l.add("tx-" + i);
        }
        l.add("next=" + (n + 1));
        return l;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }

    private static void truncate(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    private static void appendJunk(Path file, int n, long seed) throws IOException {
        byte[] junk = new byte[n];
        Random r = new Random(seed);
        for (int i = 0; i < n; i++) {
            junk[i] = (byte) (1 + r.nextInt(255));
        }
        Files.write(file, junk, StandardOpenOption.APPEND);
    }

    private static int verify(Path dir, StringBuilder output) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = JournalTool.run(
                new String[] {"verify", dir.toString()},
                new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, UTF_8),
                new PrintStream(err, true, UTF_8));
        output.append(out.toString(UTF_8));
        return code;
    }

    private static void assertCorrupt(JournalException e, long offset, String what) {
        JournalCorruptedException c = assertInstanceOf(JournalCorruptedException.class, e);
        assertEquals(offset, c.offset(), c.getMessage());
        assertEquals(SEGMENT, c.segment().getFileName().toString());
        assertTrue(c.getMessage().contains(what), c.getMessage());
    }

    @Test
    void intactFixtureRecoversEverythingInEveryMode() throws IOException {
        Path dir = fixture(false);
        assertEquals(END, Files.size(dir.resolve(SEGMENT)));
        for (RecoveryMode mode : RecoveryMode.values()) {
            assertEquals(txs(5), recover(dir, mode), mode.name());
        }
        StringBuilder out = new StringBuilder();
        assertEquals(0, verify(dir, out));
        assertTrue(out.toString().contains("transactions: 5"), out.toString());
        assertTrue(out.toString().contains("last LSN: 5"), out.toString());
    }

    @Test
    void truncatedInTheLengthField() throws IOException {
        Path dir = fixture(false);
        truncate(dir.resolve(SEGMENT), TX5 + 2);
        assertEquals(txs(4), recover(dir, RecoveryMode.TOLERATE_CORRUPTED_TAIL));
        assertEquals(txs(4), recover(dir, RecoveryMode.POINT_IN_TIME));
        assertCorrupt(fails(dir, RecoveryMode.ABSOLUTE_CONSISTENCY), TX5, "record header cut short (2 of 20 bytes)");
        assertEquals(0, verify(dir, new StringBuilder()));
    }

    @Test
    void truncatedInThePayload() throws IOException {
        Path dir = fixture(false);
        truncate(dir.resolve(SEGMENT), TX5 + 22);
        assertEquals(txs(4), recover(dir, RecoveryMode.TOLERATE_CORRUPTED_TAIL));
        assertEquals(txs(4), recover(dir, RecoveryMode.POINT_IN_TIME));
        assertCorrupt(
                fails(dir, RecoveryMode.ABSOLUTE_CONSISTENCY), TX5, "record cut short (payload of 4 bytes, 2 present)");
        assertEquals(0, verify(dir, new StringBuilder()));
    }

    @Test
    void transactionWithoutCommitRecordIsDiscardedInEveryMode() throws IOException {
        Path dir = fixture(false);
        truncate(dir.resolve(SEGMENT), TX5 + 24); // DATA record whole, COMMIT missing
        for (RecoveryMode mode : RecoveryMode.values()) {
            assertEquals(txs(4), recover(dir, mode), mode.name());
        }
    }

    @Test
    void junkEnded() throws IOException {
        Path dir = fixture(false);
        appendJunk(dir.resolve(SEGMENT), 100, 42);
        assertEquals(txs(5), recover(dir, RecoveryMode.TOLERATE_CORRUPTED_TAIL));
        assertEquals(txs(5), recover(dir, RecoveryMode.POINT_IN_TIME));
        assertCorrupt(fails(dir, RecoveryMode.ABSOLUTE_CONSISTENCY), END, "bad record header");
        StringBuilder out = new StringBuilder();
        assertEquals(0, verify(dir, out));
        assertTrue(out.toString().contains("cutting torn tail"), out.toString());
    }

    @Test
    void listenerIsToldOfTheCut() throws IOException {
        Path dir = fixture(false);
        appendJunk(dir.resolve(SEGMENT), 10, 1);
        List<String> cuts = new ArrayList<>();
        JournalListener listener = new JournalListener() {
            @Override
            public void onRecoveryCut(Path segment, long offset, String reason) {
                cuts.add(segment.getFileName() + "@" + offset);
            }
        };
        try (Journal j =
                Journal.open(dir, JournalConfig.builder().listener(listener).build())) {
            assertEquals(5, j.lastLsn());
        }
        assertEquals(List.of(SEGMENT + "@" + END), cuts);
    }

    @Test
    void allJunkAfterTheHeader() throws IOException {
        Path dir = fixture(false);
        truncate(dir.resolve(SEGMENT), 32);
        appendJunk(dir.resolve(SEGMENT), 300, 7);
        assertEquals(txs(0), recover(dir, RecoveryMode.TOLERATE_CORRUPTED_TAIL));
        assertEquals(txs(0), recover(dir, RecoveryMode.POINT_IN_TIME));
        assertCorrupt(fails(dir, RecoveryMode.ABSOLUTE_CONSISTENCY), 32, "bad record header");
    }

    @Test
    void allJunkFileIsRefusedInEveryMode() throws IOException {
        Path dir = fixture(false);
        truncate(dir.resolve(SEGMENT), 0);
        appendJunk(dir.resolve(SEGMENT), 300, 7);
        for (RecoveryMode mode : RecoveryMode.values()) {
            assertCorrupt(fails(dir, mode), 0, "not a journal segment (bad magic)");
        }
        StringBuilder out = new StringBuilder();
        assertEquals(1, verify(dir, out));
        assertTrue(out.toString().contains("CORRUPT: journal corrupted in "), out.toString());
    }

    @Test
    void bitFlipInAMiddleRecord() throws IOException {
        Path dir = fixture(false);
        Path seg = dir.resolve(SEGMENT);
        byte[] b = Files.readAllBytes(seg);
        long tx3 = 32 + 48 * 2;
        b[(int) tx3 + 21] ^= 0x10; // a payload byte of tx-3's DATA record
        Files.write(seg, b);
        String what = "checksum mismatch (record of 4 bytes, lsn 3); valid records follow at offset " + (tx3 + 24);
        assertCorrupt(fails(dir, RecoveryMode.TOLERATE_CORRUPTED_TAIL), tx3, what);
        assertCorrupt(fails(dir, RecoveryMode.ABSOLUTE_CONSISTENCY), tx3, what);
        assertEquals(txs(2), recover(dir, RecoveryMode.POINT_IN_TIME));
        StringBuilder out = new StringBuilder();
        assertEquals(1, verify(dir, out));
        assertTrue(out.toString().contains("at offset " + tx3), out.toString());
    }

    @Test
    void unknownFormatVersionIsRefusedWithAClearMessage() throws IOException {
        Path dir = fixture(false);
        Path seg = dir.resolve(SEGMENT);
        byte[] b = Files.readAllBytes(seg);
        ByteBuffer h = ByteBuffer.wrap(b);
        h.putInt(8, 2);
        CRC32C crc = new CRC32C();
        crc.update(b, 0, 28);
        h.putInt(28, (int) crc.getValue());
        Files.write(seg, b);
        for (RecoveryMode mode : RecoveryMode.values()) {
            JournalException e = fails(dir, mode);
            assertEquals(JournalException.class, e.getClass());
            assertTrue(
                    e.getMessage()
                            .endsWith(SEGMENT + " has format version 2, this build reads only version 1"
                                    + " (written by a newer release?)"),
                    e.getMessage());
        }
        assertEquals(1, verify(dir, new StringBuilder()));
    }

    @Test
    void zeroFilledPreallocatedSpaceIsACleanEndInEveryMode() throws IOException {
        Path dir = fixture(true);
        assertEquals(8192, Files.size(dir.resolve(SEGMENT)));
        for (RecoveryMode mode : RecoveryMode.values()) {
            assertEquals(txs(5), recover(dir, mode), mode.name());
        }
    }

    @Test
    void tornTailInPreallocatedSegmentIsCutAndZeroFilled() throws IOException {
        Path dir = fixture(true);
        Path seg = dir.resolve(SEGMENT);
        byte[] b = Files.readAllBytes(seg);
        for (int i = 0; i < 30; i++) {
            b[(int) END + i] = (byte) 0xAB;
        }
        Files.write(seg, b);
        assertEquals(txs(5), recover(dir, RecoveryMode.TOLERATE_CORRUPTED_TAIL));
        assertCorrupt(fails(dir, RecoveryMode.ABSOLUTE_CONSISTENCY), END, "bad record header");
    }
}
