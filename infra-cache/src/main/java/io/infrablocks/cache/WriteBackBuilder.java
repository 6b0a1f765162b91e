package io.infrablocks.cache;

import io.infrablocks.cache.internal.writeback.CleanCache;
import io.infrablocks.cache.internal.writeback.WriteBackEngine;
import io.infrablocks.cache.internal.writeback.WriteBackSettings;
import io.infrablocks.journal.Durability;
import io.infrablocks.journal.JournalConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Configures a {@link WriteBackCache}; obtained from {@code CacheBuilder.newBuilder()...writeBack(store)}, which
 * supplies the bounded clean cache. Settings are validated by {@link #build()}. Not thread-safe.
 *
 * <pre>{@code
 * WriteBackCache<String, String> cache = CacheBuilder.newBuilder()
 *         .maximumSize(10_000)
 *         .writeBack(store)
 *         .maxDelay(Duration.ofMillis(100))
 *         .batchSize(200)
 *         .maxDirty(50_000)
 *         .journal(Path.of("/var/lib/app/wb"))
 *         .codecs(Codec.utf8(), Codec.utf8())
 *         .build();
 * }</pre>
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class WriteBackBuilder<K, V> {

    private static final Logger log = LoggerFactory.getLogger(WriteBackBuilder.class);

    private final CacheStore<K, V> store;
    private final Supplier<CleanCache<K, V>> cleanCache;
    private String name;
    private Duration maxDelay = Duration.ofMillis(100);
    private int batchSize = 100;
    private int writerThreads = 1;
    private int maxDirty = 10_000;
    private Duration dirtyTimeout = Duration.ofSeconds(5);
    private int maxAttempts = 10;
    private Duration backoffInitial = Duration.ofMillis(100);
    private Duration backoffMax = Duration.ofSeconds(30);
    private Duration closeTimeout = Duration.ofSeconds(30);
    private DeadLetterHandler<K, V> deadLetterHandler;
    private WriteBackListener listener;
    private Ticker ticker = Ticker.system();
    private ThreadFactory threadFactory;
    private Path journalDirectory;
    private JournalConfig journalConfig;
    private Codec<K> keyCodec;
    private Codec<V> valueCodec;

    WriteBackBuilder(CacheStore<K, V> store, Supplier<CleanCache<K, V>> cleanCache) {
        this.store = Objects.requireNonNull(store, "store");
        this.cleanCache = Objects.requireNonNull(cleanCache, "cleanCache");
    }

    /**
     * Names the cache (thread names {@code infra-cache-<name>-<n>}, log lines, exception messages).
     *
     * @param name non-blank; default {@code writeback-<n>}
     * @return this builder
     */
    public WriteBackBuilder<K, V> name(String name) {
        this.name = Objects.requireNonNull(name, "name");
        return this;
    }

    /**
     * The longest a dirty key waits before the writers store it (less when a batch fills or on flush).
     *
     * @param maxDelay zero or positive; default 100 ms
     * @return this builder
     */
    public WriteBackBuilder<K, V> maxDelay(Duration maxDelay) {
        this.maxDelay = Objects.requireNonNull(maxDelay, "maxDelay");
        return this;
    }

    /**
     * The most keys per store call.
     *
     * @param batchSize positive; default 100
     * @return this builder
     */
    public WriteBackBuilder<K, V> batchSize(int batchSize) {
        this.batchSize = batchSize;
        return this;
    }

    /**
     * The number of writer threads (each makes its own store calls; a key is never in two at once).
     *
     * @param writerThreads positive; default 1
     * @return this builder
     */
    public WriteBackBuilder<K, V> writerThreads(int writerThreads) {
        this.writerThreads = writerThreads;
        return this;
    }

    /**
     * The bound on dirty keys; a write of a new key at the bound waits up to {@link #dirtyTimeout}.
     *
     * @param maxDirty positive; default 10 000
     * @return this builder
     */
    public WriteBackBuilder<K, V> maxDirty(int maxDirty) {
        this.maxDirty = maxDirty;
        return this;
    }

    /**
     * How long a write waits at the dirty bound before {@link DirtyLimitExceededException}.
     *
     * @param dirtyTimeout zero or positive; default 5 s
     * @return this builder
     */
    public WriteBackBuilder<K, V> dirtyTimeout(Duration dirtyTimeout) {
        this.dirtyTimeout = Objects.requireNonNull(dirtyTimeout, "dirtyTimeout");
        return this;
    }

    /**
     * Store failures in a row after which a key's write goes to the dead-letter handler.
     *
     * @param maxAttempts positive; default 10
     * @return this builder
     */
    public WriteBackBuilder<K, V> maxAttempts(int maxAttempts) {
        this.maxAttempts = maxAttempts;
        return this;
    }

    /**
     * Exponential backoff between attempts of a failed key: {@code initial * 2^(attempt-1)}, capped at {@code
     * max}, with equal jitter (half fixed, half random).
     *
     * @param initial zero or positive; default 100 ms
     * @param max at least {@code initial}; default 30 s
     * @return this builder
     */
    public WriteBackBuilder<K, V> backoff(Duration initial, Duration max) {
        this.backoffInitial = Objects.requireNonNull(initial, "initial");
        this.backoffMax = Objects.requireNonNull(max, "max");
        return this;
    }

    /**
     * How long {@link WriteBackCache#close()} waits for the final flush.
     *
     * @param closeTimeout zero or positive; default 30 s
     * @return this builder
     */
    public WriteBackBuilder<K, V> closeTimeout(Duration closeTimeout) {
        this.closeTimeout = Objects.requireNonNull(closeTimeout, "closeTimeout");
        return this;
    }

    /**
     * Receives writes that could not be stored. Default: each is logged at ERROR with its key.
     *
     * @param handler the handler
     * @return this builder
     */
    public WriteBackBuilder<K, V> deadLetterHandler(DeadLetterHandler<K, V> handler) {
        this.deadLetterHandler = Objects.requireNonNull(handler, "handler");
        return this;
    }

    /**
     * Receives events for metrics systems.
     *
     * @param listener the listener
     * @return this builder
     */
    public WriteBackBuilder<K, V> listener(WriteBackListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /**
     * The nanosecond time source for delays, backoff and timeouts (tests pass a fake one).
     *
     * @param ticker the time source; default the cache builder's ticker ({@link Ticker#system()})
     * @return this builder
     */
    public WriteBackBuilder<K, V> ticker(Ticker ticker) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        return this;
    }

    /**
     * Makes the writer threads. Default: daemon threads named {@code infra-cache-<name>-<n>}.
     *
     * @param threadFactory the factory
     * @return this builder
     */
    public WriteBackBuilder<K, V> threadFactory(ThreadFactory threadFactory) {
        this.threadFactory = Objects.requireNonNull(threadFactory, "threadFactory");
        return this;
    }

    /**
     * Durable mode: every put and delete is committed to an infra-journal in {@code directory} (SYNC with group
     * commit, unless {@link #journalConfig} says otherwise) before it returns; stored writes are checkpointed; at
     * build, writes of a previous run that were not stored are replayed to the store. Needs {@link #codecs}.
     *
     * @param directory the journal's directory (one cache per directory)
     * @return this builder
     */
    public WriteBackBuilder<K, V> journal(Path directory) {
        this.journalDirectory = Objects.requireNonNull(directory, "directory");
        return this;
    }

    /**
     * The journal's configuration; default: durability SYNC, named after the cache.
     *
     * @param config the configuration
     * @return this builder
     */
    public WriteBackBuilder<K, V> journalConfig(JournalConfig config) {
        this.journalConfig = Objects.requireNonNull(config, "config");
        return this;
    }

    /**
     * How keys and values are written to the journal.
     *
     * @param keyCodec the key codec
     * @param valueCodec the value codec
     * @return this builder
     */
    public WriteBackBuilder<K, V> codecs(Codec<K> keyCodec, Codec<V> valueCodec) {
        this.keyCodec = Objects.requireNonNull(keyCodec, "keyCodec");
        this.valueCodec = Objects.requireNonNull(valueCodec, "valueCodec");
        return this;
    }

    /**
     * Validates the settings, opens the journal (replaying unstored writes) and starts the writers.
     *
     * @return the cache; close it
     * @throws IllegalArgumentException naming the first setting out of range and its value
     * @throws IllegalStateException when a journal is configured without codecs
     */
    public WriteBackCache<K, V> build() {
        String n = name != null ? name : WriteBackEngine.defaultName();
        if (n.isBlank()) {
            throw new IllegalArgumentException("name must not be blank");
        }
        requireNonNegative("maxDelay", maxDelay);
        requirePositive("batchSize", batchSize);
        requirePositive("writerThreads", writerThreads);
        requirePositive("maxDirty", maxDirty);
        requireNonNegative("dirtyTimeout", dirtyTimeout);
        requirePositive("maxAttempts", maxAttempts);
        requireNonNegative("backoff initial", backoffInitial);
        if (backoffMax.compareTo(backoffInitial) < 0) {
            throw new IllegalArgumentException(
                    "backoff max must be >= initial (" + backoffInitial + ") but was " + backoffMax);
        }
        requireNonNegative("closeTimeout", closeTimeout);
        if (journalDirectory != null && (keyCodec == null || valueCodec == null)) {
            throw new IllegalStateException(
                    "journal(" + journalDirectory + ") needs codecs(keyCodec, valueCodec) to journal keys and values");
        }
        JournalConfig jc = journalConfig;
        if (journalDirectory != null && jc == null) {
            jc = JournalConfig.builder().name(n).durability(Durability.sync()).build();
        }
        DeadLetterHandler<K, V> handler = deadLetterHandler != null
                ? deadLetterHandler
                : letter -> log.error(
                        "write-back cache '{}': gave up storing key {} ({}, {} attempts): {}",
                        n,
                        letter.key(),
                        letter.reason(),
                        letter.attempts(),
                        String.valueOf(letter.lastFailure()));
        return new WriteBackEngine<>(new WriteBackSettings<>(
                n,
                store,
                cleanCache.get(),
                saturatedNanos(maxDelay),
                batchSize,
                writerThreads,
                maxDirty,
                saturatedNanos(dirtyTimeout),
                maxAttempts,
                saturatedNanos(backoffInitial),
                saturatedNanos(backoffMax),
                saturatedNanos(closeTimeout),
                handler,
                listener,
                ticker::read,
                threadFactory,
                journalDirectory,
                jc,
                keyCodec,
                valueCodec));
    }

    private static long saturatedNanos(Duration d) {
        try {
            return Math.min(d.toNanos(), Long.MAX_VALUE / 4);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }

    private static void requirePositive(String setting, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(setting + " must be > 0 but was " + value);
        }
    }

    private static void requireNonNegative(String setting, Duration value) {
        if (value.isNegative()) {
            throw new IllegalArgumentException(setting + " must be >= 0 but was " + value);
        }
    }
}
