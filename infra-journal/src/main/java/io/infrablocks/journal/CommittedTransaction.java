package io.infrablocks.journal;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * A committed transaction as replay delivers it.
 *
 * @param lsn its log sequence number
 * @param records its records, in append order, as read-only buffers
 */
public record CommittedTransaction(long lsn, List<ByteBuffer> records) {

    /** Copies the list. */
    public CommittedTransaction {
        records = List.copyOf(records);
    }
}
