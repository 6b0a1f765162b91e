/** infrablocks cache: a concurrent bounded cache and a write-back cache. */
module io.infrablocks.cache {
    requires org.slf4j;
    requires transitive java.sql;
    requires transitive io.infrablocks.journal;

    exports io.infrablocks.cache;
    exports io.infrablocks.cache.jdbc;
}
