package io.infrablocks.journal;

/** What recovery accepts when it finds damage, in the spirit of RocksDB's WAL recovery modes. */
public enum RecoveryMode {
    /**
     * Default. A torn or garbage tail (what a crash leaves) is cut off; corruption before the last valid
     * record stops the open with a {@link JournalCorruptedException} naming segment and offset.
     */
    TOLERATE_CORRUPTED_TAIL,
    /** Any damage, even a torn tail, stops the open with a {@link JournalCorruptedException}. */
    ABSOLUTE_CONSISTENCY,
    /** Recovery stops at the first damage and keeps everything before it, discarding the rest. */
    POINT_IN_TIME
}
