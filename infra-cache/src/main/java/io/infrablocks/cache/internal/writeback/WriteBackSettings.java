package io.infrablocks.cache.internal.writeback;

import io.infrablocks.cache.CacheStore;
import io.infrablocks.cache.Codec;
import io.infrablocks.cache.DeadLetterHandler;
import io.infrablocks.cache.WriteBackListener;
import io.infrablocks.journal.JournalConfig;
import java.nio.file.Path;
import java.util.concurrent.ThreadFactory;
import java.util.function.LongSupplier;

/**
 * The validated, immutable configuration of a write-back engine, made by {@code WriteBackBuilder.build()}.
 *
 * @param name the cache's name, in thread names and messages
 * @param store the store
 * @param cleanCache the clean read cache
 * @param maxDelayNanos the longest a dirty key waits before it is written
 * @param batchSize the most keys per store call
 * @param writerThreads writer threads
 * @param maxDirty the bound on dirty keys
 * @param dirtyTimeoutNanos how long a write waits at the bound
 * @param maxAttempts failures in a row before a key is dead-lettered
 * @param backoffInitialNanos the first retry delay
 * @param backoffMaxNanos the largest retry delay
 * @param closeTimeoutNanos how long close waits for the final flush
 * @param deadLetterHandler receives abandoned writes
 * @param listener receives events, or null
 * @param ticker the nanosecond time source
 * @param threadFactory makes writer threads, or null for the default
 * @param journalDirectory the journal's directory, or null for no journal
 * @param journalConfig the journal's configuration when journaled
 * @param keyCodec encodes keys for the journal
 * @param valueCodec encodes values for the journal
 * @param <K> the key type
 * @param <V> the value type
 */
public record WriteBackSettings<K, V>(
        String name,
        CacheStore<K, V> store,
        CleanCache<K, V> cleanCache,
        long maxDelayNanos,
        int batchSize,
        int writerThreads,
        int maxDirty,
        long dirtyTimeoutNanos,
        int maxAttempts,
        long backoffInitialNanos,
        long backoffMaxNanos,
        long closeTimeoutNanos,
        DeadLetterHandler<K, V> deadLetterHandler,
        WriteBackListener listener,
        LongSupplier ticker,
        ThreadFactory threadFactory,
        Path journalDirectory,
        JournalConfig journalConfig,
        Codec<K> keyCodec,
        Codec<V> valueCodec) {}
