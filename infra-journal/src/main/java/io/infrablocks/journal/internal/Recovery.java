package io.infrablocks.journal.internal;

import io.infrablocks.journal.CommittedTransaction;
import io.infrablocks.journal.JournalCorruptedException;
import io.infrablocks.journal.RecoveryMode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Read-only analysis of a journal directory: which segments are live, where each one's valid data ends, what
 * must be cut or deleted, under a {@link RecoveryMode}. {@link FileJournal} applies the resulting
 * {@link Plan}; {@code JournalTool verify/replay} only print it.
 *
 * <p>Classification of the first position in a segment that is not a well-formed record in sequence:
 * all-zero from there to the end of the file is a clean end; otherwise it is damage, and it is a <em>torn
 * tail</em> when it is in the last segment and no well-formed record with a higher LSN follows it anywhere in
 * the segment, else <em>corruption in the middle</em>. Complete records of a transaction without its COMMIT
 * record at the end of the last segment are a discarded transaction (what a crash mid-write leaves).
 */
public final class Recovery {

    /** A segment file and the LSN of its first transaction. */
    public record Segment(long base, Path path) {}

    /** A cut: {@code path} is to be truncated to {@code offset}. */
    public record Cut(Path path, long offset, String reason) {}

    /**
     * The outcome of the analysis.
     *
     * @param checkpointLsn the checkpoint LSN read from disk
     * @param live the segments kept, in LSN order
     * @param delete segment files to delete (wholly checkpointed, or after the damage in point-in-time mode)
     * @param cuts truncations to apply
     * @param lastLsn the last committed LSN found (0 when none)
     * @param activeEnd the end of valid data in the last live segment (0 when there is none)
     * @param transactions committed transactions found in the live segments
     * @param warnings what an operator should know (tail cut, transaction discarded)
     */
    public record Plan(
            long checkpointLsn,
            List<Segment> live,
            List<Path> delete,
            List<Cut> cuts,
            long lastLsn,
            long activeEnd,
            long transactions,
            List<String> warnings) {}

    private Recovery() {}

    /**
     * Lists a directory's segment files in LSN order.
     *
     * @param dir the directory
     * @return the segments
     * @throws IOException on I/O failure
     */
    public static List<Segment> listSegments(Path dir) throws IOException {
        List<Segment> segments = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                long base = SegmentFormat.parseSegmentName(p.getFileName().toString());
                if (base >= 0) {
                    segments.add(new Segment(base, p));
                }
            }
        }
        segments.sort((a, b) -> Long.compare(a.base(), b.base()));
        return segments;
    }

    /**
     * Analyses {@code dir} without changing it.
     *
     * @param dir the journal directory
     * @param mode what damage is accepted
     * @param sink receives every committed transaction after the checkpoint in LSN order, or null
     * @return the plan
     * @throws IOException on I/O failure
     * @throws JournalCorruptedException when the mode does not accept the damage found
     */
    public static Plan analyze(Path dir, RecoveryMode mode, Consumer<CommittedTransaction> sink) throws IOException {
        long checkpoint = SegmentFormat.readCheckpoint(dir);
        List<Segment> all = listSegments(dir);
        List<Path> delete = new ArrayList<>();
        List<Cut> cuts = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        List<Segment> live = new ArrayList<>();
        // segments wholly at or before the checkpoint (their successor starts at or before checkpoint + 1)
        int first = 0;
        while (first + 1 < all.size() && all.get(first + 1).base() - 1 <= checkpoint) {
            delete.add(all.get(first).path());
            first++;
        }
        long lastLsn = 0;
        long activeEnd = 0;
        long transactions = 0;
        for (int i = first; i < all.size(); i++) {
            Segment seg = all.get(i);
            boolean last = i == all.size() - 1;
            if (i == first && seg.base() > checkpoint + 1) {
                throw new JournalCorruptedException(
                        seg.path(),
                        16,
                        "the first segment starts at LSN " + seg.base() + " but the checkpoint is at LSN " + checkpoint
                                + ": segments are missing");
            }
            if (i > first && seg.base() != lastLsn + 1) {
                JournalCorruptedException e = new JournalCorruptedException(
                        seg.path(),
                        16,
                        "base LSN " + seg.base() + " does not follow LSN " + lastLsn + " of the previous segment");
                if (mode != RecoveryMode.POINT_IN_TIME) {
                    throw e;
                }
                warnings.add("point-in-time recovery stops: " + e.getMessage());
                deleteFrom(all, i, delete);
                break;
            }
            SegmentScan scan;
            try (SegmentReader r = SegmentReader.open(seg.path(), seg.base())) {
                scan = scan(r, sink, checkpoint);
            } catch (JournalCorruptedException e) {
                // damaged header; a file that is not a segment at all (offset 0: bad magic) is never deleted
                if (mode != RecoveryMode.POINT_IN_TIME || e.offset() == 0) {
                    throw e;
                }
                warnings.add("point-in-time recovery stops: " + e.getMessage());
                deleteFrom(all, i, delete);
                break;
            }
            transactions += scan.transactions;
            if (scan.transactions > 0) {
                lastLsn = scan.lastLsn;
            } else if (i == first) {
                lastLsn = seg.base() - 1;
            }
            live.add(seg);
            activeEnd = scan.committedEnd;
            if (scan.damageOffset < 0) {
                if (scan.incompleteTx) {
                    if (!last) {
                        JournalCorruptedException e = new JournalCorruptedException(
                                seg.path(),
                                scan.committedEnd,
                                "transaction without commit record before the end" + " of a closed segment");
                        if (mode != RecoveryMode.POINT_IN_TIME) {
                            throw e;
                        }
                        warnings.add("point-in-time recovery stops: " + e.getMessage());
                        cuts.add(new Cut(seg.path(), scan.committedEnd, e.getMessage()));
                        deleteFrom(all, i + 1, delete);
                        break;
                    }
                    String msg = "discarding uncommitted transaction at the end of " + seg.path() + " from offset "
                            + scan.committedEnd;
                    warnings.add(msg);
                    cuts.add(new Cut(seg.path(), scan.committedEnd, msg));
                }
                continue;
            }
            JournalCorruptedException damage =
                    new JournalCorruptedException(seg.path(), scan.damageOffset, scan.problem);
            boolean middle = !last || scan.validAfter >= 0;
            if (middle) {
                if (mode != RecoveryMode.POINT_IN_TIME) {
                    throw new JournalCorruptedException(
                            seg.path(),
                            scan.damageOffset,
                            scan.problem + "; valid records follow"
                                    + (scan.validAfter >= 0 ? " at offset " + scan.validAfter : " in later segments"));
                }
                warnings.add("point-in-time recovery stops at " + damage.getMessage());
                cuts.add(new Cut(seg.path(), scan.committedEnd, damage.getMessage()));
                deleteFrom(all, i + 1, delete);
                break;
            }
            if (mode == RecoveryMode.ABSOLUTE_CONSISTENCY) {
                throw damage;
            }
            String msg = "cutting torn tail of " + seg.path() + " at offset " + scan.committedEnd + " (" + scan.problem
                    + " at offset " + scan.damageOffset + ")";
            warnings.add(msg);
            cuts.add(new Cut(seg.path(), scan.committedEnd, msg));
        }
        return new Plan(
                checkpoint,
                List.copyOf(live),
                List.copyOf(delete),
                List.copyOf(cuts),
                lastLsn,
                activeEnd,
                transactions,
                List.copyOf(warnings));
    }

    private static void deleteFrom(List<Segment> all, int from, List<Path> delete) {
        for (int j = from; j < all.size(); j++) {
            delete.add(all.get(j).path());
        }
    }

    /** The result of scanning one segment. */
    static final class SegmentScan {
        long lastLsn;
        long transactions;
        long committedEnd;
        boolean incompleteTx;
        long damageOffset = -1;
        long validAfter = -1;
        String problem;
    }

    /**
     * Scans a segment from after its header to its end.
     *
     * @param r the reader, positioned after the header
     * @param sink receives committed transactions with LSN above {@code skipUpTo}, or null
     * @param skipUpTo transactions at or below this LSN are not delivered
     * @return the scan
     * @throws IOException on I/O failure
     */
    static SegmentScan scan(SegmentReader r, Consumer<CommittedTransaction> sink, long skipUpTo) throws IOException {
        SegmentScan s = new SegmentScan();
        long size = r.size();
        long last = r.base() - 1;
        s.committedEnd = r.position();
        long txLsn = -1;
        int count = 0;
        List<ByteBuffer> records = new ArrayList<>();
        while (true) {
            long at = r.position();
            SegmentReader.Status st = r.next(size);
            String problem = null;
            if (st == SegmentReader.Status.END) {
                break;
            }
            if (st == SegmentReader.Status.RECORD) {
                long lsn = r.lsn();
                if (r.type() == SegmentFormat.DATA) {
                    if (txLsn < 0) {
                        if (lsn != last + 1) {
                            problem = "expected LSN " + (last + 1) + " but found a record of LSN " + lsn;
                        } else {
                            txLsn = lsn;
                            count = 0;
                            records.clear();
                        }
                    } else if (lsn != txLsn) {
                        problem = "record of LSN " + lsn + " inside transaction " + txLsn;
                    }
                    if (problem == null) {
                        count++;
                        if (sink != null && lsn > skipUpTo) {
                            records.add(ByteBuffer.wrap(r.payload()).asReadOnlyBuffer());
                        }
                    }
                } else {
                    long expected = txLsn < 0 ? last + 1 : txLsn;
                    if (lsn != expected) {
                        problem = "commit record of LSN " + lsn + " where " + expected + " was expected";
                    } else if (r.commitCount() != count) {
                        problem = "commit record of LSN " + lsn + " counts " + r.commitCount() + " records but " + count
                                + " precede it";
                    } else {
                        last = lsn;
                        s.transactions++;
                        s.committedEnd = r.position();
                        txLsn = -1;
                        if (sink != null && lsn > skipUpTo) {
                            sink.accept(new CommittedTransaction(lsn, records));
                        }
                        records.clear();
                        count = 0;
                    }
                }
                if (problem == null) {
                    continue;
                }
                r.seek(at);
            }
            if (st == SegmentReader.Status.ZERO && r.isZero(at, size)) {
                break; // clean end of written data
            }
            s.damageOffset = at;
            s.problem = problem != null ? problem : r.problem();
            s.validAfter = r.findValidRecordAfter(at, size, last);
            break;
        }
        s.lastLsn = last;
        s.incompleteTx = txLsn >= 0;
        return s;
    }
}
