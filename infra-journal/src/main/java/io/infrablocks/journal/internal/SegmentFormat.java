package io.infrablocks.journal.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Writes (and defines) the journal's on-disk format: segment files, their records, the checkpoint file.
 *
 * <p>A journal directory holds {@code LOCK} (the inter-process lock), {@code checkpoint} (optional) and
 * segment files named {@code <base LSN, 20 digits>.seg}. All integers are big-endian. Checksums are CRC32C
 * ({@link CRC32C}).
 *
 * <table>
 *   <caption>Segment header (32 bytes, at offset 0 of every segment)</caption>
 *   <tr><th>Offset</th><th>Size</th><th>Field</th><th>Value</th></tr>
 *   <tr><td>0</td><td>8</td><td>magic</td><td>ASCII {@code INFRAJNL}</td></tr>
 *   <tr><td>8</td><td>4</td><td>format version</td><td>1; any other value is refused</td></tr>
 *   <tr><td>12</td><td>4</td><td>header length</td><td>32</td></tr>
 *   <tr><td>16</td><td>8</td><td>base LSN</td><td>LSN of the segment's first transaction</td></tr>
 *   <tr><td>24</td><td>4</td><td>reserved</td><td>0</td></tr>
 *   <tr><td>28</td><td>4</td><td>header CRC32C</td><td>over bytes 0..27</td></tr>
 * </table>
 *
 * <table>
 *   <caption>Record (20-byte header + payload), packed back to back after the segment header</caption>
 *   <tr><th>Offset</th><th>Size</th><th>Field</th><th>Value</th></tr>
 *   <tr><td>0</td><td>4</td><td>payload length</td><td>0 .. 2<sup>31</sup>-21</td></tr>
 *   <tr><td>4</td><td>1</td><td>type</td><td>1 = DATA, 2 = COMMIT; 0 marks unwritten (zero-filled) space</td></tr>
 *   <tr><td>5</td><td>3</td><td>reserved</td><td>0</td></tr>
 *   <tr><td>8</td><td>8</td><td>LSN</td><td>the LSN of the transaction the record belongs to</td></tr>
 *   <tr><td>16</td><td>4</td><td>CRC32C</td><td>over record bytes 0..15 and the payload</td></tr>
 *   <tr><td>20</td><td>length</td><td>payload</td><td>DATA: user bytes; COMMIT: 4-byte count of DATA records</td></tr>
 * </table>
 *
 * <table>
 *   <caption>Checkpoint file {@code checkpoint} (28 bytes; replaced by write-temp, fsync, rename, fsync dir)</caption>
 *   <tr><th>Offset</th><th>Size</th><th>Field</th><th>Value</th></tr>
 *   <tr><td>0</td><td>8</td><td>magic</td><td>ASCII {@code INFRACKP}</td></tr>
 *   <tr><td>8</td><td>4</td><td>format version</td><td>1</td></tr>
 *   <tr><td>12</td><td>4</td><td>reserved</td><td>0</td></tr>
 *   <tr><td>16</td><td>8</td><td>checkpoint LSN</td><td>every transaction up to it is applied elsewhere</td></tr>
 *   <tr><td>24</td><td>4</td><td>CRC32C</td><td>over bytes 0..23</td></tr>
 * </table>
 *
 * <p>A transaction is its DATA records followed by one COMMIT record, all with the transaction's LSN, written
 * contiguously inside one segment (the writer rolls to a new segment between transactions, never inside one).
 * LSNs are consecutive: transaction {@code n + 1} follows transaction {@code n}; the first transaction of a
 * segment has the segment's base LSN. A segment is created under a temporary name, its header written and
 * forced, then renamed into place, so a segment file always starts with a complete header. When preallocation
 * is on, segments are zero-filled ahead of the writer in steps of 1 MiB (or the segment size, if smaller),
 * so most forces need not update the file size; their size is always a multiple of 4096, and the first all-zero
 * record header marks the end of the written data.
 */
public final class SegmentFormat {

    /** Segment magic, ASCII "INFRAJNL". */
    static final long SEGMENT_MAGIC = 0x494E4652414A4E4CL;
    /** Checkpoint magic, ASCII "INFRACKP". */
    static final long CHECKPOINT_MAGIC = 0x494E465241434B50L;
    /** The only format version this build reads and writes. */
    public static final int VERSION = 1;
    /** Bytes of the segment header. */
    public static final int SEGMENT_HEADER = 32;
    /** Bytes of a record header. */
    public static final int RECORD_HEADER = 20;
    /** Bytes of the checkpoint file. */
    static final int CHECKPOINT_SIZE = 28;
    /** The largest payload the format can hold. */
    public static final int MAX_PAYLOAD = Integer.MAX_VALUE - 64;

    /** Preallocated segments are zero-filled to a multiple of this many bytes. */
    static final int PREALLOCATION_UNIT = 4096;

    /** Preallocated segments are zero-filled ahead of the writer in steps of this many bytes. */
    static final int PREALLOCATION_CHUNK = 1 << 20;

    /** Record type: user data. */
    public static final byte DATA = 1;
    /** Record type: end of a transaction. */
    public static final byte COMMIT = 2;

    /** Bytes of a COMMIT record. */
    static final int COMMIT_RECORD = RECORD_HEADER + 4;

    static final String SEGMENT_SUFFIX = ".seg";
    static final String TEMP_SUFFIX = ".tmp";
    static final String CHECKPOINT_FILE = "checkpoint";
    static final String LOCK_FILE = "LOCK";

    private static final byte[] ZEROS = new byte[64 << 10];

    private SegmentFormat() {}

    /**
     * The file name of the segment whose first LSN is {@code baseLsn}.
     *
     * @param baseLsn the base LSN
     * @return the name
     */
    static String segmentName(long baseLsn) {
        return String.format("%020d%s", baseLsn, SEGMENT_SUFFIX);
    }

    /**
     * Parses a segment file name.
     *
     * @param name a file name
     * @return the base LSN, or -1 when the name is not a segment's
     */
    static long parseSegmentName(String name) {
        if (name.length() != 20 + SEGMENT_SUFFIX.length() || !name.endsWith(SEGMENT_SUFFIX)) {
            return -1;
        }
        for (int i = 0; i < 20; i++) {
            if (!Character.isDigit(name.charAt(i))) {
                return -1;
            }
        }
        return Long.parseLong(name.substring(0, 20));
    }

    /**
     * The on-disk size of a DATA record.
     *
     * @param payload payload bytes
     * @return bytes
     */
    static long dataRecordSize(int payload) {
        return RECORD_HEADER + (long) payload;
    }

    /**
     * Encodes a DATA record into {@code out} (which must have room).
     *
     * @param out the buffer
     * @param lsn the transaction's LSN
     * @param payload the payload
     * @param crc a scratch checksum
     */
    static void putData(ByteBuffer out, long lsn, byte[] payload, CRC32C crc) {
        int start = out.position();
        out.putInt(payload.length).put(DATA).put((byte) 0).putShort((short) 0).putLong(lsn);
        crc.reset();
        crc.update(out.duplicate().position(start).limit(start + 16));
        crc.update(payload, 0, payload.length);
        out.putInt((int) crc.getValue());
        out.put(payload);
    }

    /**
     * Encodes a COMMIT record into {@code out} (which must have room).
     *
     * @param out the buffer
     * @param lsn the transaction's LSN
     * @param records how many DATA records the transaction has
     * @param crc a scratch checksum
     */
    static void putCommit(ByteBuffer out, long lsn, int records, CRC32C crc) {
        int start = out.position();
        out.putInt(4).put(COMMIT).put((byte) 0).putShort((short) 0).putLong(lsn);
        out.putInt(0); // crc placeholder
        out.putInt(records);
        crc.reset();
        crc.update(out.duplicate().position(start).limit(start + 16));
        crc.update(out.duplicate().position(start + RECORD_HEADER).limit(start + COMMIT_RECORD));
        out.putInt(start + 16, (int) crc.getValue());
    }

    /**
     * The segment header for {@code baseLsn}.
     *
     * @param baseLsn the base LSN
     * @param version the version to write (tests write unknown versions)
     * @return a buffer ready to write
     */
    static ByteBuffer segmentHeader(long baseLsn, int version) {
        ByteBuffer b = ByteBuffer.allocate(SEGMENT_HEADER);
        b.putLong(SEGMENT_MAGIC)
                .putInt(version)
                .putInt(SEGMENT_HEADER)
                .putLong(baseLsn)
                .putInt(0);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 28);
        b.putInt((int) crc.getValue());
        return b.flip();
    }

    /**
     * Creates a segment crash-safely: header (and zero-fill) written to a temporary file and forced, then
     * renamed into place and the directory forced.
     *
     * @param channels opens files
     * @param dir the journal directory
     * @param baseLsn the segment's base LSN
     * @param preallocateTo when positive, zero-fill the file to this size
     * @return the path of the new segment
     * @throws IOException on I/O failure
     */
    static Path createSegment(ChannelFactory channels, Path dir, long baseLsn, long preallocateTo) throws IOException {
        Path target = dir.resolve(segmentName(baseLsn));
        Path temp = dir.resolve(segmentName(baseLsn) + TEMP_SUFFIX);
        try (FileChannel ch = channels.open(
                temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            writeFully(ch, segmentHeader(baseLsn, VERSION), 0);
            if (preallocateTo > SEGMENT_HEADER) {
                zeroFill(ch, SEGMENT_HEADER, roundUp(preallocateTo, PREALLOCATION_UNIT));
            }
            ch.force(true);
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        forceDirectory(dir);
        return target;
    }

    /**
     * Rounds {@code size} up to a multiple of {@code unit}.
     *
     * @param size bytes
     * @param unit a positive unit
     * @return the rounded size
     */
    static long roundUp(long size, long unit) {
        return (size + unit - 1) / unit * unit;
    }

    /**
     * Writes zeros over {@code [from, to)}.
     *
     * @param ch the file
     * @param from first offset
     * @param to end offset, exclusive
     * @throws IOException on I/O failure
     */
    static void zeroFill(FileChannel ch, long from, long to) throws IOException {
        long pos = from;
        while (pos < to) {
            int n = (int) Math.min(ZEROS.length, to - pos);
            writeFully(ch, ByteBuffer.wrap(ZEROS, 0, n), pos);
            pos += n;
        }
    }

    /**
     * Writes all of {@code b} at {@code position}.
     *
     * @param ch the file
     * @param b the bytes
     * @param position the file offset
     * @throws IOException on I/O failure
     */
    static void writeFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        long pos = position;
        while (b.hasRemaining()) {
            pos += ch.write(b, pos);
        }
    }

    /**
     * Forces a directory's entries to disk (a no-op where the platform cannot open directories).
     *
     * @param dir the directory
     * @throws IOException on I/O failure other than the platform's refusal
     */
    static void forceDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            if (!System.getProperty("os.name", "")
                    .toLowerCase(java.util.Locale.ROOT)
                    .contains("win")) {
                throw e;
            }
        }
    }

    /**
     * Writes the checkpoint file crash-safely: temporary file, force, atomic rename, force directory.
     *
     * @param channels opens files
     * @param dir the journal directory
     * @param lsn the checkpoint LSN
     * @throws IOException on I/O failure
     */
    static void writeCheckpoint(ChannelFactory channels, Path dir, long lsn) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(CHECKPOINT_SIZE);
        b.putLong(CHECKPOINT_MAGIC).putInt(VERSION).putInt(0).putLong(lsn);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 24);
        b.putInt((int) crc.getValue()).flip();
        Path temp = dir.resolve(CHECKPOINT_FILE + TEMP_SUFFIX);
        try (FileChannel ch = channels.open(
                temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            writeFully(ch, b, 0);
            ch.force(true);
        }
        Files.move(temp, dir.resolve(CHECKPOINT_FILE), StandardCopyOption.ATOMIC_MOVE);
        forceDirectory(dir);
    }

    /**
     * Reads the checkpoint file.
     *
     * @param dir the journal directory
     * @return the checkpoint LSN, 0 when there is no checkpoint file
     * @throws IOException on I/O failure
     * @throws io.infrablocks.journal.JournalCorruptedException when the file is damaged
     */
    static long readCheckpoint(Path dir) throws IOException {
        Path file = dir.resolve(CHECKPOINT_FILE);
        if (!Files.exists(file)) {
            return 0;
        }
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length != CHECKPOINT_SIZE) {
            throw new io.infrablocks.journal.JournalCorruptedException(
                    file, 0, "checkpoint file has " + bytes.length + " bytes, expected " + CHECKPOINT_SIZE);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (b.getLong(0) != CHECKPOINT_MAGIC) {
            throw new io.infrablocks.journal.JournalCorruptedException(file, 0, "bad checkpoint magic");
        }
        int version = b.getInt(8);
        if (version != VERSION) {
            throw new io.infrablocks.journal.JournalException("checkpoint file " + file + " has format version "
                    + version + ", this build reads only version " + VERSION);
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, 24);
        if ((int) crc.getValue() != b.getInt(24)) {
            throw new io.infrablocks.journal.JournalCorruptedException(file, 24, "checkpoint checksum mismatch");
        }
        return b.getLong(16);
    }

    /**
     * Renders a payload for humans: UTF-8 text when printable, else hex; cut at 64 bytes.
     *
     * @param payload the bytes
     * @return the rendering
     */
    static String render(byte[] payload) {
        int n = Math.min(payload.length, 64);
        boolean printable = true;
        for (int i = 0; i < n; i++) {
            int c = payload[i] & 0xFF;
            if (c < 0x20 || c > 0x7E) {
                printable = false;
                break;
            }
        }
        String more = payload.length > n ? "..." : "";
        if (printable) {
            return "\"" + new String(payload, 0, n, StandardCharsets.US_ASCII) + "\"" + more;
        }
        StringBuilder sb = new StringBuilder("0x");
        for (int i = 0; i < n; i++) {
            sb.append(String.format("%02x", payload[i] & 0xFF));
        }
        return sb.append(more).toString();
    }
}
