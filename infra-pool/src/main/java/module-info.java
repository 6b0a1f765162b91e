/** infrablocks pools: a resource pool with a fair wait queue, a JDBC DataSource, and a worker pool. */
module io.infrablocks.pool {
    requires org.slf4j;
    requires transitive java.sql;
    requires HdrHistogram;

    exports io.infrablocks.pool;
    exports io.infrablocks.pool.jdbc;
    exports io.infrablocks.pool.work;
}
