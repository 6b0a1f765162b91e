package io.infrablocks.journal;

import java.nio.file.Path;

/**
 * Optional callbacks on journal events, set with {@link JournalConfig.Builder#listener(JournalListener)}. Every
 * method defaults to doing nothing; when no listener is set the journal does no work for it. Callbacks run on
 * journal threads (the group-commit writer, the opening or checkpointing thread) and must be quick and must not
 * call back into the journal.
 */
public interface JournalListener {

    /**
     * A SYNC group commit was forced.
     *
     * @param transactions transactions in the batch
     * @param bytes bytes written for the batch
     * @param forceNanos how long the force took
     */
    default void onGroupCommit(int transactions, long bytes, long forceNanos) {}

    /**
     * Recovery cut a segment (a torn tail, an uncommitted transaction, or point-in-time recovery).
     *
     * @param segment the segment file
     * @param offset where it was cut
     * @param reason what was found there
     */
    default void onRecoveryCut(Path segment, long offset, String reason) {}

    /**
     * A checkpoint was written.
     *
     * @param lsn the checkpoint LSN
     * @param segmentsDeleted segment files deleted because they were wholly at or before it
     */
    default void onCheckpoint(long lsn, int segmentsDeleted) {}
}
