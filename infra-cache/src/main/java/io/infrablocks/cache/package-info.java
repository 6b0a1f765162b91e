/**
 * A concurrent, bounded, in-memory cache with an adaptive, scan-resistant default eviction policy (and exact
 * LRU on request), per-key load coalescing, expiry, removal listeners, statistics and warm-start support.
 *
 * <p>One entry point, {@link io.infrablocks.cache.CacheBuilder}:
 *
 * <pre>{@code
 * LoadingCache<Long, User> users = CacheBuilder.newBuilder()
 *         .maximumSize(10_000)                       // or maximumWeight(n) + weigher(...)
 *         .expireAfterWrite(Duration.ofMinutes(5))
 *         .removalListener((id, user, cause) -> log.debug("{} left: {}", id, cause))
 *         .recordStats()
 *         .build(id -> userDao.find(id));            // concurrent misses on one id load once
 *
 * User u = users.get(42L);
 * List<Long> hot = users.policy().hottest(1_000);    // save at shutdown, preload at start
 * }</pre>
 *
 * <p>Every cache is thread-safe; reads take no global lock. {@link io.infrablocks.cache.Cache#asMap()} is a
 * full {@link java.util.concurrent.ConcurrentMap} view.
 *
 * <p>A write-back cache in front of a database comes from the same builder, through {@link
 * io.infrablocks.cache.CacheBuilder#writeBack(CacheStore)}: writes are acknowledged at once (or once journaled,
 * with {@code journal(dir)}) and stored behind in coalesced batches by a {@link io.infrablocks.cache.CacheStore}
 * such as {@code io.infrablocks.cache.jdbc.JdbcCacheStore}.
 *
 * <pre>{@code
 * try (WriteBackCache<String, String> items = CacheBuilder.newBuilder().maximumSize(10_000)
 *         .writeBack(JdbcCacheStore.builder(dataSource, String.class, Codec.utf8()).table("items").build())
 *         .journal(Path.of("/var/lib/app/items-wb")).codecs(Codec.utf8(), Codec.utf8())
 *         .build()) {
 *     items.put("a", "1");
 *     items.flush().join();
 * }
 * }</pre>
 */
package io.infrablocks.cache;
