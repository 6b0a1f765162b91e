package io.infrablocks.journal;

import io.infrablocks.journal.internal.FileJournal;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A write-ahead journal: a record of transactions, so that after a failure the system knows what completed
 * and can roll forward from the last checkpoint. Transactions are appended, committed under the configured
 * {@link Durability}, replayed in commit order, and discarded once a checkpoint says they are applied.
 *
 * <pre>{@code
 * try (Journal journal = Journal.open(dir, JournalConfig.builder().build())) {
 *     Transaction tx = journal.begin();
 *     tx.append(bytes1).append(bytes2);
 *     long lsn = tx.commit();              // durable under the policy when it returns
 *     journal.replay(journal.checkpointLsn() + 1, t -> apply(t.records()));
 *     journal.checkpoint(lsn);             // everything up to lsn is applied elsewhere
 * }
 * }</pre>
 *
 * <p>Log sequence numbers (LSNs) are positive, strictly increasing in commit order, and unique per committed
 * transaction. Implementations are thread-safe; one process at a time may open a directory.
 */
public interface Journal extends AutoCloseable {

    /**
     * Opens (creating if absent) the journal in {@code directory}, recovering what a crash left behind.
     *
     * @param directory the journal's directory
     * @param config its configuration
     * @return the open journal
     * @throws JournalException when the directory cannot be opened, is locked by another process, or holds a
     *     corrupt journal that the configured {@link RecoveryMode} does not accept
     */
    static Journal open(Path directory, JournalConfig config) {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(config, "config");
        return FileJournal.open(directory, config);
    }

    /**
     * Begins a transaction. Its records become visible to replay only once it commits.
     *
     * @return a new transaction
     * @throws IllegalStateException when the journal is closed
     */
    Transaction begin();

    /**
     * Appends one record as a transaction of its own and commits it.
     *
     * @param record the payload
     * @return the transaction's LSN, once durable under the configured policy
     */
    default long append(byte[] record) {
        return begin().append(record).commit();
    }

    /**
     * Appends one record as a transaction of its own and commits it asynchronously.
     *
     * @param record the payload
     * @return a future completing with the LSN once durable, or exceptionally when the commit fails
     */
    default CompletableFuture<Long> appendAsync(byte[] record) {
        return begin().append(record).commitAsync();
    }

    /**
     * Delivers every committed transaction with {@code lsn >= fromLsn}, in commit order, on the calling
     * thread. Transactions before the last checkpoint may no longer be available.
     *
     * @param fromLsn the first LSN of interest, inclusive
     * @param consumer receives each transaction
     */
    void replay(long fromLsn, Consumer<CommittedTransaction> consumer);

    /**
     * Follows the journal: delivers committed transactions with {@code lsn >= fromLsn} in commit order, then
     * each new commit as it becomes durable, on a thread of the journal's thread factory, until closed.
     *
     * <p>If the consumer throws, tailing stops and the exception is logged. Under {@link Durability#sync()} a
     * transaction is delivered only once it is durable.
     *
     * @param fromLsn the first LSN of interest, inclusive
     * @param consumer receives each transaction
     * @return a handle whose {@code close()} stops the tailing
     */
    AutoCloseable tail(long fromLsn, Consumer<CommittedTransaction> consumer);

    /**
     * Records, crash-safely, that every transaction up to and including {@code lsn} is applied elsewhere;
     * segments wholly before it are deleted. The journal is forced first, then the checkpoint file is written to a
     * temporary file, forced, renamed atomically and the directory forced. A checkpoint at or below the current
     * one is ignored.
     *
     * @param lsn a committed LSN
     * @throws IllegalArgumentException when {@code lsn} is negative or above {@link #lastLsn()}
     */
    void checkpoint(long lsn);

    /**
     * The LSN of the last checkpoint.
     *
     * @return the LSN, or 0 when none was taken
     */
    long checkpointLsn();

    /**
     * The LSN of the last committed transaction.
     *
     * @return the LSN, or the checkpoint LSN (0 for a new journal) when none was committed since
     */
    long lastLsn();

    /**
     * An immutable snapshot of the journal's counters.
     *
     * @return the metrics
     */
    JournalMetrics metrics();

    /**
     * Stops accepting transactions, completes pending commits, releases the directory lock. Idempotent.
     */
    @Override
    void close();
}
