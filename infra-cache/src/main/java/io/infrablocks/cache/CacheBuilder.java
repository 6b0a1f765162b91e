package io.infrablocks.cache;

import io.infrablocks.cache.internal.BoundedCache;
import io.infrablocks.cache.internal.CacheSettings;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

/**
 * The one entry point of the cache: configure, then {@link #build()} or {@link #build(CacheLoader)}.
 *
 * <pre>{@code
 * LoadingCache<Long, User> users = CacheBuilder.newBuilder()
 *         .maximumSize(10_000)
 *         .expireAfterWrite(Duration.ofMinutes(5))
 *         .recordStats()
 *         .build(id -> userDao.find(id));
 * }</pre>
 *
 * <p>Settings are checked when the cache is built; the built cache's configuration is immutable (except
 * the bound, through {@link CachePolicy#setMaximum}). A builder may build several independent caches.
 *
 * @param <K> the key type of the caches it builds
 * @param <V> the value type of the caches it builds
 */
public final class CacheBuilder<K, V> {

    private static final long UNSET = Long.MIN_VALUE;

    private long maximumSize = UNSET;
    private long maximumWeight = UNSET;
    private Weigher<? super K, ? super V> weigher;
    private EvictionPolicyKind evictionPolicy = EvictionPolicyKind.ADAPTIVE;
    private Duration expireAfterWrite;
    private Duration expireAfterAccess;
    private Ticker ticker = Ticker.system();
    private Executor executor = ForkJoinPool.commonPool();
    private RemovalListener<? super K, ? super V> removalListener;
    private boolean recordStats;
    private int initialCapacity = 16;

    private CacheBuilder() {}

    /**
     * Starts a builder with the defaults: unbounded, {@link EvictionPolicyKind#ADAPTIVE}, no expiry, no
     * stats, maintenance on {@link ForkJoinPool#commonPool()}.
     *
     * @return a new builder
     */
    public static CacheBuilder<Object, Object> newBuilder() {
        return new CacheBuilder<>();
    }

    /**
     * Bounds the cache by entry count.
     *
     * @param maximumSize the most entries, {@code > 0}
     * @return this builder
     */
    public CacheBuilder<K, V> maximumSize(long maximumSize) {
        this.maximumSize = maximumSize;
        return this;
    }

    /**
     * Bounds the cache by total weight; requires a {@link #weigher}.
     *
     * @param maximumWeight the most total weight, {@code > 0}
     * @return this builder
     */
    public CacheBuilder<K, V> maximumWeight(long maximumWeight) {
        this.maximumWeight = maximumWeight;
        return this;
    }

    /**
     * Sets how entries are weighed for {@link #maximumWeight}.
     *
     * @param weigher the weigher
     * @param <K1> the key type
     * @param <V1> the value type
     * @return this builder, narrowed to the weigher's types
     */
    public <K1 extends K, V1 extends V> CacheBuilder<K1, V1> weigher(Weigher<? super K1, ? super V1> weigher) {
        CacheBuilder<K1, V1> self = self();
        self.weigher = Objects.requireNonNull(weigher, "weigher");
        return self;
    }

    /**
     * Chooses the eviction policy; {@link EvictionPolicyKind#ADAPTIVE} by default.
     *
     * @param kind the policy
     * @return this builder
     */
    public CacheBuilder<K, V> evictionPolicy(EvictionPolicyKind kind) {
        this.evictionPolicy = Objects.requireNonNull(kind, "kind");
        return this;
    }

    /**
     * Expires an entry once this long has passed since its value was written.
     *
     * @param duration the time to live, positive
     * @return this builder
     */
    public CacheBuilder<K, V> expireAfterWrite(Duration duration) {
        this.expireAfterWrite = Objects.requireNonNull(duration, "duration");
        return this;
    }

    /**
     * Expires an entry once this long has passed since it was last read or written.
     *
     * @param duration the idle time to live, positive
     * @return this builder
     */
    public CacheBuilder<K, V> expireAfterAccess(Duration duration) {
        this.expireAfterAccess = Objects.requireNonNull(duration, "duration");
        return this;
    }

    /**
     * Sets the nanosecond time source for expiry and load timing (tests pass a fake one).
     *
     * @param ticker the time source
     * @return this builder
     */
    public CacheBuilder<K, V> ticker(Ticker ticker) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        return this;
    }

    /**
     * Sets where maintenance (replaying buffered reads and writes, eviction, expiry) runs. The default is
     * {@link ForkJoinPool#commonPool()}. {@code Runnable::run} runs it on the calling thread right after each
     * write and whenever a read buffer fills: a single-threaded caller then sees deterministic, lossless
     * policy decisions (used by the trace simulator).
     *
     * @param executor the executor
     * @return this builder
     */
    public CacheBuilder<K, V> executor(Executor executor) {
        this.executor = Objects.requireNonNull(executor, "executor");
        return this;
    }

    /**
     * Sets a listener told of every removal with its cause.
     *
     * @param listener the listener
     * @param <K1> the key type
     * @param <V1> the value type
     * @return this builder, narrowed to the listener's types
     */
    public <K1 extends K, V1 extends V> CacheBuilder<K1, V1> removalListener(
            RemovalListener<? super K1, ? super V1> listener) {
        CacheBuilder<K1, V1> self = self();
        self.removalListener = Objects.requireNonNull(listener, "listener");
        return self;
    }

    /**
     * Records hits, misses, loads and evictions for {@link Cache#stats()}. Off by default, and then free.
     *
     * @return this builder
     */
    public CacheBuilder<K, V> recordStats() {
        this.recordStats = true;
        return this;
    }

    /**
     * Sizes the internal table for this many entries up front.
     *
     * @param initialCapacity the expected entry count, {@code >= 0}
     * @return this builder
     */
    public CacheBuilder<K, V> initialCapacity(int initialCapacity) {
        this.initialCapacity = initialCapacity;
        return this;
    }

    /**
     * Builds a cache.
     *
     * @param <K1> the key type
     * @param <V1> the value type
     * @return a new cache
     * @throws IllegalArgumentException if a setting is invalid
     * @throws IllegalStateException if settings conflict
     */
    public <K1 extends K, V1 extends V> Cache<K1, V1> build() {
        return BoundedCache.create(settings());
    }

    /**
     * Builds a loading cache.
     *
     * @param loader computes values on a miss
     * @param <K1> the key type
     * @param <V1> the value type
     * @return a new loading cache
     * @throws IllegalArgumentException if a setting is invalid
     * @throws IllegalStateException if settings conflict
     */
    public <K1 extends K, V1 extends V> LoadingCache<K1, V1> build(CacheLoader<? super K1, V1> loader) {
        Objects.requireNonNull(loader, "loader");
        return BoundedCache.createLoading(settings(), loader);
    }

    private CacheSettings settings() {
        if (maximumSize != UNSET && maximumWeight != UNSET) {
            throw new IllegalStateException(
                    "maximumSize (" + maximumSize + ") and maximumWeight (" + maximumWeight + ") cannot both be set");
        }
        if (maximumSize != UNSET && maximumSize <= 0) {
            throw new IllegalArgumentException("maximumSize must be > 0 but was " + maximumSize);
        }
        if (maximumWeight != UNSET && maximumWeight <= 0) {
            throw new IllegalArgumentException("maximumWeight must be > 0 but was " + maximumWeight);
        }
        if (maximumWeight != UNSET && weigher == null) {
            throw new IllegalStateException("maximumWeight (" + maximumWeight + ") requires a weigher");
        }
        if (weigher != null && maximumWeight == UNSET) {
            throw new IllegalStateException("a weigher requires maximumWeight, but maximumWeight was not set");
        }
        if (initialCapacity < 0) {
            throw new IllegalArgumentException("initialCapacity must be >= 0 but was " + initialCapacity);
        }
        long writeNanos = nanos("expireAfterWrite", expireAfterWrite);
        long accessNanos = nanos("expireAfterAccess", expireAfterAccess);
        boolean bounded = maximumSize != UNSET || maximumWeight != UNSET;
        long maximum = maximumSize != UNSET ? maximumSize : maximumWeight != UNSET ? maximumWeight : Long.MAX_VALUE;
        return new CacheSettings(
                maximum,
                bounded,
                weigher,
                bounded ? evictionPolicy : EvictionPolicyKind.LRU,
                evictionPolicy,
                writeNanos,
                accessNanos,
                ticker,
                executor,
                removalListener,
                recordStats,
                initialCapacity);
    }

    private static long nanos(String name, Duration duration) {
        if (duration == null) {
            return 0;
        }
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(name + " must be > 0 but was " + duration);
        }
        try {
            return duration.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    @SuppressWarnings("unchecked")
    private <K1 extends K, V1 extends V> CacheBuilder<K1, V1> self() {
        return (CacheBuilder<K1, V1>) this;
    }
}
