package io.infrablocks.cache;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A cache in front of a {@link CacheStore} that acknowledges writes before they are stored and writes them
 * behind, in batches, from its own writer threads (write-back, also called write-behind).
 *
 * <p><b>Guarantees.</b>
 *
 * <ul>
 *   <li>Read-your-writes: {@link #get} returns the latest write of a key (null after a delete) until and after
 *       it is stored, even when the clean cache evicted the key: dirty keys live in a staging area that is not
 *       subject to eviction.
 *   <li>Coalescing: per key only the latest state is written; a put followed by a delete writes one delete.
 *   <li>Per-key order: at most one store call is in flight per key, and each carries a newer state than the
 *       last, so the store sees the writes of a key in the order they were made.
 *   <li>Bounded: at most {@code maxDirty} keys are dirty. A write of a new key at the bound blocks up to
 *       {@code dirtyTimeout}, then throws {@link DirtyLimitExceededException}. Writes are never dropped.
 *   <li>Failures: a failed key is retried with exponential backoff and jitter, without blocking other keys;
 *       after {@code maxAttempts} failures in a row it goes to the {@link DeadLetterHandler}.
 * </ul>
 *
 * <p><b>What a crash loses.</b> Without a journal, a write is held only in this JVM's memory until it is
 * stored: if the process dies (kill -9, OOM, power loss), every write acknowledged but not yet stored is lost
 * — at most the writes of the last {@code maxDelay} plus whatever the store had not accepted (during a store
 * outage, up to {@code maxDirty} keys). With {@code journal(dir)}, every put and delete is committed to the
 * journal (fsync, with group commit) before it returns; after a crash the next open on the same directory
 * replays the writes not yet stored to the store, so no acknowledged write is lost.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public interface WriteBackCache<K, V> extends AutoCloseable {

    /**
     * The latest value of a key: a dirty write, else the clean cache, else loaded from the store (and cached).
     *
     * @param key the key
     * @return the value, or null when deleted or absent from the store
     * @throws CacheException when the store fails to load
     */
    V get(K key);

    /**
     * The value of a key if dirty or cached, without touching the store.
     *
     * @param key the key
     * @return the value, or null when deleted, absent or not cached
     */
    V getIfPresent(K key);

    /**
     * Writes a value; the store receives it later. With a journal, durable when this returns.
     *
     * @param key the key
     * @param value the value
     * @throws DirtyLimitExceededException when the key is not dirty, the cache is at its dirty bound, and no
     *     room appeared within the dirty timeout
     * @throws IllegalStateException when the cache is closed
     */
    void put(K key, V value);

    /**
     * Writes several values, as {@link #put} each (not atomically).
     *
     * @param entries the entries
     */
    void putAll(Map<? extends K, ? extends V> entries);

    /**
     * Deletes a key; the store receives the delete later. With a journal, durable when this returns.
     *
     * @param key the key
     * @throws DirtyLimitExceededException as {@link #put}
     * @throws IllegalStateException when the cache is closed
     */
    void delete(K key);

    /**
     * Drops the clean cached copy of a key, so that the next {@link #get} reads the store. A dirty write of the
     * key is not affected (it is still stored).
     *
     * @param key the key
     */
    void invalidate(K key);

    /**
     * Writes every dirty key now, without waiting for {@code maxDelay}.
     *
     * @return a future that completes when every write made before this call is stored (or handed to the
     *     dead-letter handler); it never completes while the store keeps failing a key within its attempts
     */
    CompletableFuture<Void> flush();

    /**
     * The number of keys whose latest write is not yet stored.
     *
     * @return the count
     */
    long dirtyCount();

    /**
     * A snapshot of the counters.
     *
     * @return the metrics
     */
    WriteBackMetrics metrics();

    /**
     * Stops accepting writes, flushes, waits up to {@code closeTimeout}, stops the writer threads and closes the
     * journal. Idempotent.
     *
     * @throws UnstoredWritesException naming the keys not stored within the timeout (journaled: replayed at
     *     the next open; otherwise handed to the dead-letter handler)
     */
    @Override
    void close();
}
