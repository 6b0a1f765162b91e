/** infrablocks journal: a write-ahead log with transactions, group commit and crash recovery. */
module io.infrablocks.journal {
    requires org.slf4j;

    exports io.infrablocks.journal;
}
