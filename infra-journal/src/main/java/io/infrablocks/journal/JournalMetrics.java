package io.infrablocks.journal;

/**
 * An immutable snapshot of a journal's counters.
 *
 * @param commits transactions committed
 * @param aborts transactions aborted
 * @param records records appended by committed transactions
 * @param bytesWritten bytes written to segment files
 * @param forces forces (fsync/fdatasync) performed
 * @param segments segment files currently on disk
 * @param lastLsn the last committed LSN
 * @param checkpointLsn the last checkpoint LSN
 */
public record JournalMetrics(
        long commits,
        long aborts,
        long records,
        long bytesWritten,
        long forces,
        int segments,
        long lastLsn,
        long checkpointLsn) {}
