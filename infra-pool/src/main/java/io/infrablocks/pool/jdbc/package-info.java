/**
 * A JDBC {@link javax.sql.DataSource} over the infrablocks pool: {@link
 * io.infrablocks.pool.jdbc.PooledDataSource}.
 *
 * <pre>{@code
 * PooledDataSource ds = PooledDataSource.builder()
 *         .url("jdbc:postgresql://db/orders").user("app").password(secret)
 *         .pool(p -> p.name("orders").maxSize(10).acquireTimeout(Duration.ofMillis(250)))
 *         .build();
 * try (Connection c = ds.getConnection()) {
 *     // use c; close() returns it, rolled back and reset
 * }
 * }</pre>
 */
package io.infrablocks.pool.jdbc;
