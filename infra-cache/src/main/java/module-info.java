/** infrablocks cache: a concurrent bounded cache and a write-back cache. */
module io.infrablocks.cache {
    requires org.slf4j;
    requires java.sql;
    requires io.infrablocks.journal;

    exports io.infrablocks.cache;
}
