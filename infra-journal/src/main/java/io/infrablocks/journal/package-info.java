/**
 * Write-ahead journal: transactions, checksummed segment files, group commit and crash recovery.
 *
 * <p>A journal records transactions, not data: after a failure it tells the application what completed, so
 * the application can roll forward from its last checkpoint. A transaction is a list of records committed
 * atomically: after a crash it is replayed whole or not at all. Commits get increasing log sequence numbers
 * (LSNs) and are durable under the configured {@link io.infrablocks.journal.Durability}:
 * {@code sync()} (forced before commit returns; concurrent committers share one force), {@code periodic(d)}
 * (a power loss loses at most the last {@code d} plus one force), {@code none()} (survives a process crash,
 * not a power loss). Once the application has applied the transactions up to some LSN elsewhere, it calls
 * {@link io.infrablocks.journal.Journal#checkpoint(long)} and the segments wholly before it are deleted.
 *
 * <pre>{@code
 * JournalConfig config = JournalConfig.builder()
 *         .name("orders")
 *         .durability(Durability.sync())
 *         .build();
 * try (Journal journal = Journal.open(Path.of("/var/lib/orders/journal"), config)) {
 *     // roll forward what the last run committed but did not apply
 *     journal.replay(journal.checkpointLsn() + 1, tx -> apply(tx.records()));
 *     journal.checkpoint(journal.lastLsn());
 *
 *     long lsn = journal.begin()
 *             .append(debit)
 *             .append(credit)
 *             .commit();                 // durable when it returns
 *     apply(List.of(ByteBuffer.wrap(debit), ByteBuffer.wrap(credit)));
 *     journal.checkpoint(lsn);
 * }
 * }</pre>
 *
 * <p>On open, the journal scans the segments after the checkpoint, verifies every record's CRC32C, cuts a
 * torn tail left by a crash and discards transactions without a commit record; damage in the middle stops the
 * open with a {@link io.infrablocks.journal.JournalCorruptedException} unless the
 * {@link io.infrablocks.journal.RecoveryMode} says otherwise. {@link io.infrablocks.journal.JournalTool} checks,
 * dumps, appends to and replays a journal directory from the command line.
 */
package io.infrablocks.journal;
