package io.infrablocks.journal;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * A journal transaction: records appended, then committed atomically or aborted. After a crash, a transaction
 * is replayed whole or not at all. Not thread-safe: one thread builds a transaction.
 */
public interface Transaction {

    /**
     * Appends a copy of a record.
     *
     * @param record the payload, at most the configured maximum record size
     * @return this transaction
     * @throws IllegalArgumentException when the record is larger than the configured maximum
     * @throws IllegalStateException when the transaction is already committed or aborted
     */
    Transaction append(byte[] record);

    /**
     * Appends a copy of the remaining bytes of {@code record}; the buffer's position is not changed.
     *
     * @param record the payload, at most the configured maximum record size
     * @return this transaction
     * @throws IllegalArgumentException when the record is larger than the configured maximum
     * @throws IllegalStateException when the transaction is already committed or aborted
     */
    Transaction append(ByteBuffer record);

    /**
     * Commits and waits until the commit is durable under the journal's {@link Durability}.
     *
     * @return the transaction's LSN
     * @throws JournalException when the commit cannot be made durable; after an I/O failure the journal refuses
     *     every later commit (what reached the disk is then unknown)
     * @throws IllegalStateException when the transaction is already committed or aborted, or the journal is closed
     */
    long commit();

    /**
     * Commits without waiting.
     *
     * @return a future completing with the LSN once durable, or exceptionally with a {@link JournalException}
     */
    CompletableFuture<Long> commitAsync();

    /** Discards the transaction; nothing of it is ever replayed. Idempotent. */
    void abort();
}
