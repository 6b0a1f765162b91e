/**
 * A {@link io.infrablocks.cache.CacheStore} over a relational table for the write-back cache: {@link
 * io.infrablocks.cache.jdbc.JdbcCacheStore}, with single-statement upserts for PostgreSQL and H2 and JDBC
 * batching.
 *
 * <pre>{@code
 * CacheStore<String, String> store = JdbcCacheStore.builder(dataSource, String.class, Codec.utf8())
 *         .table("wb_items").keyColumn("k").valueColumn("v")
 *         .build();
 * }</pre>
 */
package io.infrablocks.cache.jdbc;
