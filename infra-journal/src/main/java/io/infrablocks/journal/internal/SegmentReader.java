package io.infrablocks.journal.internal;

import io.infrablocks.journal.JournalCorruptedException;
import io.infrablocks.journal.JournalException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Reads one segment file's records in order through a sliding read window, verifying each record's CRC32C.
 * Not thread-safe; one reader per scan, replay or tailer.
 */
final class SegmentReader implements Closeable {

    /** What {@link #next} found at the current position. */
    enum Status {
        /** A well-formed record; see the accessors. */
        RECORD,
        /** The position is the read limit: nothing more to read. */
        END,
        /** An all-zero record header: unwritten (preallocated or never written) space. */
        ZERO,
        /** Fewer bytes than a whole record before the limit: a record cut short. */
        TORN,
        /** A record header with impossible fields, or a checksum mismatch. */
        BAD
    }

    private static final int WINDOW = 1 << 20;

    private final Path path;
    private final FileChannel channel;
    private final CRC32C crc = new CRC32C();
    private ByteBuffer window = ByteBuffer.allocate(WINDOW);
    private long windowStart;
    private long position;

    // the last record read
    private byte type;
    private long lsn;
    private int payloadOffset;
    private int payloadLength;
    private String problem;

    private SegmentReader(Path path, FileChannel channel) {
        this.path = path;
        this.channel = channel;
        window.limit(0);
    }

    /**
     * Opens {@code path} and checks its header.
     *
     * @param path the segment file
     * @param expectedBase the base LSN its name announces, or -1 to accept any
     * @return a reader positioned after the header
     * @throws IOException on I/O failure
     * @throws JournalCorruptedException when the header is damaged
     * @throws JournalException when the header has an unknown format version
     */
    static SegmentReader open(Path path, long expectedBase) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        SegmentReader r = new SegmentReader(path, ch);
        try {
            r.checkHeader(expectedBase);
        } catch (RuntimeException | IOException e) {
            ch.close();
            throw e;
        }
        return r;
    }

    private long base;

    private void checkHeader(long expectedBase) throws IOException {
        long size = channel.size();
        if (!ensure(0, SegmentFormat.SEGMENT_HEADER, size)) {
            throw new JournalCorruptedException(
                    path, size, "segment header cut short: " + size + " of " + SegmentFormat.SEGMENT_HEADER + " bytes");
        }
        int w = 0;
        if (window.getLong(w) != SegmentFormat.SEGMENT_MAGIC) {
            throw new JournalCorruptedException(path, 0, "not a journal segment (bad magic)");
        }
        int version = window.getInt(w + 8);
        crc.reset();
        crc.update(window.duplicate().position(w).limit(w + 28));
        boolean crcOk = (int) crc.getValue() == window.getInt(w + 28);
        if (version != SegmentFormat.VERSION) {
            throw new JournalException("segment " + path + " has format version " + version
                    + ", this build reads only version " + SegmentFormat.VERSION
                    + (crcOk ? " (written by a newer release?)" : " (and its header checksum does not match)"));
        }
        if (!crcOk) {
            throw new JournalCorruptedException(path, 28, "segment header checksum mismatch");
        }
        base = window.getLong(w + 16);
        if (expectedBase >= 0 && base != expectedBase) {
            throw new JournalCorruptedException(
                    path, 16, "segment header says base LSN " + base + " but its name says " + expectedBase);
        }
        position = SegmentFormat.SEGMENT_HEADER;
    }

    /**
     * The base LSN from the header.
     *
     * @return the LSN
     */
    long base() {
        return base;
    }

    /**
     * The segment file.
     *
     * @return the path
     */
    Path path() {
        return path;
    }

    /**
     * The file size now.
     *
     * @return bytes
     * @throws IOException on I/O failure
     */
    long size() throws IOException {
        return channel.size();
    }

    /**
     * The offset of the next record to read (after a RECORD, the end of that record).
     *
     * @return the offset
     */
    long position() {
        return position;
    }

    /**
     * Moves the read position.
     *
     * @param position a record boundary
     */
    void seek(long position) {
        this.position = position;
    }

    /**
     * Reads the record at the current position without reading past {@code limit}. On RECORD, the position
     * advances past the record; otherwise it stays.
     *
     * @param limit the end of readable data
     * @return what was found
     * @throws IOException on I/O failure
     */
    Status next(long limit) throws IOException {
        return parseAt(position, limit, true);
    }

    private Status parseAt(long pos, long limit, boolean advance) throws IOException {
        problem = null;
        if (pos >= limit) {
            return Status.END;
        }
        if (!ensure(pos, SegmentFormat.RECORD_HEADER, limit)) {
            problem = "record header cut short (" + (limit - pos) + " of " + SegmentFormat.RECORD_HEADER + " bytes)";
            // zeros too short for a header are a clean end only at the end of a preallocated file (whose size
            // is a multiple of the preallocation unit); otherwise they are a header cut short
            return limit % SegmentFormat.PREALLOCATION_UNIT == 0 && isZero(pos, limit) ? Status.ZERO : Status.TORN;
        }
        int w = (int) (pos - windowStart);
        int length = window.getInt(w);
        byte t = window.get(w + 4);
        int reserved = (window.get(w + 5) << 16) | (window.getShort(w + 6) & 0xFFFF);
        long l = window.getLong(w + 8);
        int storedCrc = window.getInt(w + 16);
        if (length == 0 && t == 0 && reserved == 0 && l == 0 && storedCrc == 0) {
            problem = "zero-filled space";
            return Status.ZERO;
        }
        if ((t != SegmentFormat.DATA && t != SegmentFormat.COMMIT)
                || reserved != 0
                || length < 0
                || length > SegmentFormat.MAX_PAYLOAD
                || l <= 0) {
            problem = "bad record header (length " + length + ", type " + t + ", lsn " + l + ")";
            return Status.BAD;
        }
        if (pos + SegmentFormat.RECORD_HEADER + length > limit) {
            problem = "record cut short (payload of " + length + " bytes, "
                    + (limit - pos - SegmentFormat.RECORD_HEADER) + " present)";
            return Status.TORN;
        }
        if (!ensure(pos, SegmentFormat.RECORD_HEADER + length, limit)) {
            problem = "record cut short at end of file";
            return Status.TORN;
        }
        w = (int) (pos - windowStart);
        crc.reset();
        crc.update(window.duplicate().position(w).limit(w + 16));
        crc.update(window.duplicate()
                .position(w + SegmentFormat.RECORD_HEADER)
                .limit(w + SegmentFormat.RECORD_HEADER + length));
        if ((int) crc.getValue() != storedCrc) {
            problem = "checksum mismatch (record of " + length + " bytes, lsn " + l + ")";
            return Status.BAD;
        }
        type = t;
        lsn = l;
        payloadOffset = w + SegmentFormat.RECORD_HEADER;
        payloadLength = length;
        if (advance) {
            position = pos + SegmentFormat.RECORD_HEADER + length;
        }
        return Status.RECORD;
    }

    /**
     * What was wrong at the position after a ZERO, TORN or BAD status.
     *
     * @return the description
     */
    String problem() {
        return problem;
    }

    byte type() {
        return type;
    }

    long lsn() {
        return lsn;
    }

    int payloadLength() {
        return payloadLength;
    }

    /**
     * A copy of the last record's payload.
     *
     * @return the bytes
     */
    byte[] payload() {
        byte[] b = new byte[payloadLength];
        window.get(payloadOffset, b);
        return b;
    }

    /**
     * The 4-byte payload of the last COMMIT record as an int.
     *
     * @return the record count, or -1 when the payload is not 4 bytes
     */
    int commitCount() {
        return payloadLength == 4 ? window.getInt(payloadOffset) : -1;
    }

    /**
     * Whether every byte of {@code [from, limit)} is zero.
     *
     * @param from first offset
     * @param limit end offset
     * @return true when all zero
     * @throws IOException on I/O failure
     */
    boolean isZero(long from, long limit) throws IOException {
        long pos = from;
        while (pos < limit) {
            int n = (int) Math.min(WINDOW, limit - pos);
            if (!ensure(pos, n, limit)) {
                return false;
            }
            int w = (int) (pos - windowStart);
            for (int i = 0; i < n; i++) {
                if (window.get(w + i) != 0) {
                    return false;
                }
            }
            pos += n;
        }
        return true;
    }

    /**
     * Looks for a well-formed record with an LSN above {@code afterLsn} anywhere in {@code (from, limit)}: if
     * there is one, damage at {@code from} is in the middle of the log, not a torn tail.
     *
     * @param from the damaged offset
     * @param limit end of data
     * @param afterLsn the last LSN recovered before the damage
     * @return the offset of such a record, or -1
     * @throws IOException on I/O failure
     */
    long findValidRecordAfter(long from, long limit, long afterLsn) throws IOException {
        for (long p = from + 1; p + SegmentFormat.RECORD_HEADER <= limit; p++) {
            if (!ensure(p, SegmentFormat.RECORD_HEADER, limit)) {
                return -1;
            }
            byte t = window.get((int) (p - windowStart) + 4);
            if (t != SegmentFormat.DATA && t != SegmentFormat.COMMIT) {
                continue;
            }
            if (parseAt(p, limit, false) == Status.RECORD && lsn > afterLsn) {
                return p;
            }
        }
        return -1;
    }

    /** Makes {@code [pos, pos + n)} readable in the window; false when the file or limit ends first. */
    private boolean ensure(long pos, int n, long limit) throws IOException {
        if (pos >= windowStart && pos + n <= windowStart + window.limit()) {
            return true;
        }
        if (pos + n > limit) {
            return false;
        }
        if (n > window.capacity()) {
            window = ByteBuffer.allocate(Math.max(n, window.capacity() * 2));
        }
        window.clear();
        window.limit((int) Math.min(window.capacity(), limit - pos));
        windowStart = pos;
        long at = pos;
        while (window.hasRemaining()) {
            int r = channel.read(window, at);
            if (r < 0) {
                break;
            }
            at += r;
        }
        window.flip();
        return window.limit() >= n;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
