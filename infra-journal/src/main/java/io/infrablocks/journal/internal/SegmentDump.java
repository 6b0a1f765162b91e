package io.infrablocks.journal.internal;

import io.infrablocks.journal.JournalException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/** Prints a journal directory's records for humans ({@code JournalTool dump}). */
public final class SegmentDump {

    private SegmentDump() {}

    /**
     * Prints every segment's header and records, and where a segment's well-formed data ends.
     *
     * @param dir the journal directory
     * @param out where to print
     * @throws IOException on I/O failure
     */
    public static void dump(Path dir, PrintStream out) throws IOException {
        out.println("checkpoint LSN: " + SegmentFormat.readCheckpoint(dir));
        for (Recovery.Segment s : Recovery.listSegments(dir)) {
            SegmentReader r;
            try {
                r = SegmentReader.open(s.path(), s.base());
            } catch (JournalException e) {
                out.println(s.path().getFileName() + ": " + e.getMessage());
                continue;
            }
            try (r) {
                long size = r.size();
                out.println(s.path().getFileName() + ": base LSN " + r.base() + ", " + size + " bytes, version "
                        + SegmentFormat.VERSION);
                while (true) {
                    long at = r.position();
                    SegmentReader.Status st = r.next(size);
                    if (st == SegmentReader.Status.END) {
                        out.println("  @" + at + " end of file");
                        break;
                    }
                    if (st != SegmentReader.Status.RECORD) {
                        boolean zero = st == SegmentReader.Status.ZERO && r.isZero(at, size);
                        out.println("  @" + at + " " + (zero ? "zero-filled to end of file" : st + ": " + r.problem()));
                        break;
                    }
                    if (r.type() == SegmentFormat.DATA) {
                        out.println("  @" + at + " DATA   lsn " + r.lsn() + " " + r.payloadLength() + " bytes "
                                + SegmentFormat.render(r.payload()));
                    } else {
                        out.println("  @" + at + " COMMIT lsn " + r.lsn() + " records " + r.commitCount());
                    }
                }
            }
        }
    }
}
