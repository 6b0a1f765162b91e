package io.infrablocks.cache.internal;

import io.infrablocks.cache.Cache;
import io.infrablocks.cache.CacheException;
import io.infrablocks.cache.CacheLoader;
import io.infrablocks.cache.CachePolicy;
import io.infrablocks.cache.CacheStats;
import io.infrablocks.cache.EvictionPolicyKind;
import io.infrablocks.cache.LoadingCache;
import io.infrablocks.cache.RemovalCause;
import io.infrablocks.cache.RemovalListener;
import io.infrablocks.cache.Ticker;
import io.infrablocks.cache.Weigher;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.AbstractCollection;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The concurrent bounded cache behind {@link io.infrablocks.cache.CacheBuilder}.
 *
 * <p><b>Design.</b> Entries live in a {@link ConcurrentHashMap} from key to {@link Node}; the eviction policy
 * ({@link EvictionPolicy}, e.g. {@link LruPolicy}) links the same nodes intrusively. Policies are not
 * thread-safe, so every policy event is applied by one thread at a time, holding {@link #evictionLock}.
 * Following BP-Wrapper (X. Ding, S. Jiang, X. Zhang, "BP-Wrapper: A System Framework Making Any Replacement
 * Algorithms (Almost) Lock Contention Free", ICDE 2009) and the way Caffeine applies it (B. Manes, "Design of
 * a modern cache"), a read never takes that lock: it records the node in a striped, lossy {@link ReadBuffer}
 * and returns; a write changes the table and records the node in a bounded, lossless {@link WriteBuffer}.
 * Buffered events are applied in batches by "maintenance", which also expires and evicts. Maintenance runs on
 * the configured executor when a write happens or a read stripe fills ({@link #scheduleDrain()}), or inline
 * on a writer that finds the write buffer full. With {@code executor(Runnable::run)} it runs synchronously on
 * the calling thread after every write and whenever a read stripe fills, so a single-threaded caller drops no
 * read and sees deterministic decisions.
 *
 * <p><b>Invariants.</b>
 *
 * <ul>
 *   <li>Every table mutation runs inside {@code data.compute*} for its key, so it is atomic per key. A node's
 *       {@link Node#value}, weight and times are written while holding the node's monitor: inside such a
 *       compute, or by a {@code put} on a resident entry, which updates it in place (no compute, no
 *       allocation) after checking under the monitor that it is still {@code ALIVE}. A node that is mapped is
 *       {@code ALIVE}; whoever unmaps it sets {@code RETIRED} under the monitor in the same compute, so an
 *       in-place put never writes to an unmapped node. Lock order: table bin, then node monitor; maintenance
 *       takes the eviction lock, then bins. Reads of the value take no lock ({@code volatile}).
 *   <li>The policy's state, {@link Node#linked}, {@link PolicyNode} fields, the expiry deques and the transition
 *       to {@code DEAD} are guarded by {@link #evictionLock}. The write buffer carries no event kind: draining
 *       a node <em>reconciles</em> the policy with the node's current state (link if alive and unlinked,
 *       update the weight if alive and linked, unlink if retired), so events arriving out of order (a removal
 *       overtaking the add it follows) still leave the policy exact once quiescent. Weights are read from the
 *       node at drain time, so the policy's total weight equals the sum of the resident weights once quiet.
 *   <li>{@link #drainStatus} (IDLE, REQUIRED, PROCESSING, PROCESSING_AGAIN) ensures a write's drain request
 *       made while maintenance runs is not lost: maintenance loops until it can move PROCESSING to IDLE. A
 *       full read stripe requests maintenance only from IDLE (reads are lossy; replaying them must not
 *       monopolize a core): the read that fills a stripe asks, and while the stripe stays full only one dropped
 *       read in {@value ReadBuffer#DROPS_PER_REQUEST} asks again, so readers do not wake the maintenance thread
 *       again the instant it goes idle. The status sits on a cache line of its own ({@link DrainStatus}).
 *   <li>The table may exceed the bound while writes wait in the write buffer: by at most the buffer's capacity
 *       plus one entry per concurrent writer. Quiescent (after {@link #cleanUp()}), {@code weightedSize <=
 *       maximum}.
 *   <li>Removal listeners run on the thread that caused the removal, after every lock is released.
 *   <li>Loads of a missing key are coalesced through {@link #loads}: the first caller owns an {@link InFlight},
 *       the others wait on it and receive its value or its failure; a write or removal of the key during the
 *       load marks it stale, so the loaded value is returned but not cached over the newer state.
 * </ul>
 *
 * <p><b>Complexity.</b> Reads O(1) and allocation-free; writes O(1) plus amortized O(1) maintenance per event
 * when the policy is O(1). User functions ({@code compute}, {@code merge}) run inside the table's per-key
 * compute, like {@link ConcurrentHashMap#compute}: they must be short and must not touch other keys of this
 * cache.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public sealed class BoundedCache<K, V> implements Cache<K, V> permits BoundedCache.Loading {

    private static final Logger LOG = LoggerFactory.getLogger(BoundedCache.class);

    private static final int IDLE = 0;
    private static final int REQUIRED = 1;
    private static final int PROCESSING = 2;
    private static final int PROCESSING_AGAIN = 3;

    private static final VarHandle DRAIN_STATUS;

    static {
        try {
            DRAIN_STATUS = MethodHandles.lookup().findVarHandle(DrainStatusField.class, "value", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final ConcurrentHashMap<K, Node<K, V>> data;
    private final ConcurrentHashMap<K, InFlight<V>> loads = new ConcurrentHashMap<>();
    private final EvictionPolicy policy;
    private final EvictionPolicyKind kind;
    private final ReentrantLock evictionLock = new ReentrantLock();
    private final ReadBuffer readBuffer = new ReadBuffer();
    private final WriteBuffer<Node<K, V>> writeBuffer;
    private final Executor executor;
    private final Runnable drainTask = this::performMaintenance;
    private final Consumer<Object> accessSink = this::applyAccess;
    private final Weigher<? super K, ? super V> weigher;
    private final RemovalListener<? super K, ? super V> listener;
    private final StatsCounter stats;
    private final Ticker ticker;
    private final long expireAfterWriteNanos;
    private final long expireAfterAccessNanos;
    private final boolean timed;

    /** Removals found by maintenance, delivered after the lock is released; guarded by the eviction lock. */
    private final ArrayList<Removal<K, V>> pendingRemovals = new ArrayList<>();

    /** Unmaps maintenance's victims; guarded by the eviction lock. */
    private final Unmap unmap = new Unmap();

    /** Write-order and access-order deques of timed nodes; guarded by the eviction lock. */
    private final TimedDeque<K, V> writeOrder = TimedDeque.writeOrder();

    private final TimedDeque<K, V> accessOrder = TimedDeque.accessOrder();

    /**
     * The maintenance state machine (see the class comment), on a cache line of its own: maintenance writes it on
     * every run, and readers check it whenever a read stripe is full, so sharing a line with the fields every
     * read loads ({@link #data}, the buffers) would make each run invalidate that line in every reader's cache.
     */
    private final DrainStatus drainStatus = new DrainStatus();

    private MapView mapView;

    /** Padding before the drain status. */
    abstract static class DrainStatusPadHead {
        long p00, p01, p02, p03, p04, p05, p06, p07;
    }

    /** The drain status field. */
    abstract static class DrainStatusField extends DrainStatusPadHead {
        volatile int value;
    }

    /** The drain status with padding after it, so it shares its cache line with nothing else. */
    static final class DrainStatus extends DrainStatusField {
        long p10, p11, p12, p13, p14, p15, p16, p17;
    }

    @SuppressWarnings("unchecked")
    BoundedCache(CacheSettings settings) {
        this.data = new ConcurrentHashMap<>(Math.max(16, settings.initialCapacity()));
        this.kind = settings.requestedKind();
        this.policy = Policies.create(settings.policyKind(), settings.maximum());
        this.weigher = (Weigher<? super K, ? super V>) settings.weigher();
        this.listener = (RemovalListener<? super K, ? super V>) settings.removalListener();
        this.stats = settings.recordStats() ? new StatsCounter() : null;
        this.ticker = settings.ticker();
        this.executor = settings.executor();
        this.expireAfterWriteNanos = settings.expireAfterWriteNanos();
        this.expireAfterAccessNanos = settings.expireAfterAccessNanos();
        this.timed = expireAfterWriteNanos > 0 || expireAfterAccessNanos > 0;
        int cpus = Runtime.getRuntime().availableProcessors();
        this.writeBuffer = new WriteBuffer<>(Math.min(1024, 128 * cpus));
    }

    /**
     * Creates a cache.
     *
     * @param settings validated settings
     * @param <K> the key type
     * @param <V> the value type
     * @return the cache
     */
    public static <K, V> Cache<K, V> create(CacheSettings settings) {
        return new BoundedCache<>(Objects.requireNonNull(settings, "settings"));
    }

    /**
     * Creates a loading cache.
     *
     * @param settings validated settings
     * @param loader the loader
     * @param <K> the key type
     * @param <V> the value type
     * @return the cache
     */
    public static <K, V> LoadingCache<K, V> createLoading(CacheSettings settings, CacheLoader<? super K, V> loader) {
        return new Loading<>(Objects.requireNonNull(settings, "settings"), Objects.requireNonNull(loader, "loader"));
    }

    // ---------------------------------------------------------------- reads

    @Override
    public V getIfPresent(K key) {
        Node<K, V> n = data.get(Objects.requireNonNull(key, "key"));
        if (n == null) {
            if (stats != null) {
                stats.miss();
            }
            return null;
        }
        V v = n.value;
        if (timed && !touch(n)) {
            if (stats != null) {
                stats.miss();
            }
            return null;
        }
        afterRead(n);
        if (stats != null) {
            stats.hit();
        }
        return v;
    }

    /** For a timed node: false if expired (and schedules cleanup), else refreshes its access time. */
    private boolean touch(Node<K, V> n) {
        long now = ticker.read();
        if (isExpired(n, now)) {
            scheduleDrain();
            return false;
        }
        if (expireAfterAccessNanos > 0) {
            n.setAccessTime(now);
        }
        return true;
    }

    private boolean isExpired(Node<K, V> n, long now) {
        return (expireAfterWriteNanos > 0 && now - n.writeTime() >= expireAfterWriteNanos)
                || (expireAfterAccessNanos > 0 && now - n.accessTime() >= expireAfterAccessNanos);
    }

    /** The live value of a key without counting stats or recording an access, or null. */
    private Node<K, V> liveNode(Object key) {
        Node<K, V> n = data.get(key);
        if (n == null || (timed && isExpired(n, ticker.read()))) {
            return null;
        }
        return n;
    }

    @Override
    public V get(K key, Function<? super K, ? extends V> mappingFunction) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(mappingFunction, "mappingFunction");
        Node<K, V> n = data.get(key);
        if (n != null) {
            V v = n.value;
            if (!timed || touch(n)) {
                afterRead(n);
                if (stats != null) {
                    stats.hit();
                }
                return v;
            }
        }
        if (stats != null) {
            stats.miss();
        }
        return load(key, mappingFunction);
    }

    private V load(K key, Function<? super K, ? extends V> mappingFunction) {
        InFlight<V> mine = new InFlight<>(key);
        InFlight<V> other = loads.putIfAbsent(key, mine);
        if (other != null) {
            return other.await();
        }
        try {
            Node<K, V> present = liveNode(key);
            if (present != null) {
                V v = present.value;
                mine.future.complete(v);
                afterRead(present);
                return v;
            }
            long start = stats == null ? 0 : ticker.read();
            V loaded;
            try {
                loaded = mappingFunction.apply(key);
            } catch (RuntimeException | Error e) {
                if (stats != null) {
                    stats.loadFailure(ticker.read() - start);
                }
                mine.future.completeExceptionally(e);
                throw e;
            }
            if (loaded == null) {
                if (stats != null) {
                    stats.loadFailure(ticker.read() - start);
                }
                mine.future.complete(null);
                return null;
            }
            if (stats != null) {
                stats.loadSuccess(ticker.read() - start);
            }
            V result;
            try {
                Op op = new Op(Op.INSTALL, key, loaded, null, null);
                op.load = mine;
                data.compute(key, op);
                finish(op);
                result = op.result != null ? op.result : loaded;
            } catch (RuntimeException | Error e) {
                mine.future.completeExceptionally(e);
                throw e;
            }
            mine.future.complete(result);
            return result;
        } finally {
            loads.remove(key, mine);
        }
    }

    @Override
    public Map<K, V> getAllPresent(Iterable<? extends K> keys) {
        Objects.requireNonNull(keys, "keys");
        Map<K, V> result = new LinkedHashMap<>();
        for (K key : keys) {
            V v = getIfPresent(Objects.requireNonNull(key, "keys contains a null key"));
            if (v != null) {
                result.put(key, v);
            }
        }
        return Collections.unmodifiableMap(result);
    }

    @Override
    public Map<K, V> getAll(
            Iterable<? extends K> keys,
            Function<? super Set<? extends K>, ? extends Map<? extends K, ? extends V>> mappingFunction) {
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(mappingFunction, "mappingFunction");
        Map<K, V> found = new LinkedHashMap<>();
        Set<K> missing = new LinkedHashSet<>();
        List<K> order = new ArrayList<>();
        for (K key : keys) {
            Objects.requireNonNull(key, "keys contains a null key");
            order.add(key);
            if (found.containsKey(key) || missing.contains(key)) {
                continue;
            }
            V v = getIfPresent(key);
            if (v != null) {
                found.put(key, v);
            } else {
                missing.add(key);
            }
        }
        if (!missing.isEmpty()) {
            long start = stats == null ? 0 : ticker.read();
            Map<? extends K, ? extends V> loaded;
            try {
                loaded = mappingFunction.apply(Collections.unmodifiableSet(missing));
                if (loaded == null) {
                    throw new CacheException("the bulk mapping function returned null for keys " + missing);
                }
            } catch (RuntimeException | Error e) {
                if (stats != null) {
                    stats.loadFailure(ticker.read() - start);
                }
                throw e;
            }
            if (stats != null) {
                stats.loadSuccess(ticker.read() - start);
            }
            for (Map.Entry<? extends K, ? extends V> e : loaded.entrySet()) {
                put(e.getKey(), e.getValue());
                if (missing.contains(e.getKey())) {
                    found.put(e.getKey(), e.getValue());
                }
            }
        }
        Map<K, V> result = new LinkedHashMap<>();
        for (K key : order) {
            V v = found.get(key);
            if (v != null) {
                result.put(key, v);
            }
        }
        return Collections.unmodifiableMap(result);
    }

    // ---------------------------------------------------------------- writes

    @Override
    public void put(K key, V value) {
        putValue(key, value);
    }

    /**
     * Stores a value and returns the previous live value. A resident, unexpired entry is updated in place
     * under its monitor without a table compute or any allocation; anything else takes the compute path.
     */
    private V putValue(K key, V value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Node<K, V> n = data.get(key);
        if (n != null) {
            int w = weigh(key, value);
            long now = timed ? ticker.read() : 0L;
            V old = null;
            int oldWeight = 0;
            synchronized (n) {
                if (n.state == Node.ALIVE && !(timed && isExpired(n, now))) {
                    old = n.value;
                    oldWeight = n.weight();
                    n.value = value;
                    n.setWeight(w);
                    if (timed) {
                        n.setWriteTime(now);
                        n.setAccessTime(now);
                    }
                }
            }
            if (old != null) {
                if (oldWeight != w || expireAfterWriteNanos > 0) {
                    afterWrite(n);
                } else {
                    afterRead(n);
                }
                if (listener != null && old != value) {
                    notifyListener(key, old, RemovalCause.REPLACED);
                }
                return old;
            }
        }
        return write(Op.PUT, key, value, null, null).previous;
    }

    @Override
    public void putAll(Map<? extends K, ? extends V> map) {
        Objects.requireNonNull(map, "map");
        for (Map.Entry<? extends K, ? extends V> e : map.entrySet()) {
            put(e.getKey(), e.getValue());
        }
    }

    @Override
    public void invalidate(K key) {
        write(Op.REMOVE, key, null, null, null);
    }

    @Override
    public void invalidateAll(Iterable<? extends K> keys) {
        Objects.requireNonNull(keys, "keys");
        for (K key : keys) {
            invalidate(Objects.requireNonNull(key, "keys contains a null key"));
        }
    }

    @Override
    public void invalidateAll() {
        for (InFlight<V> f : loads.values()) {
            f.stale = true;
        }
        for (K key : data.keySet()) {
            write(Op.REMOVE, key, null, null, null);
        }
    }

    /** Runs one table mutation and its follow-up (buffers, listener); returns the op for its outputs. */
    private Op write(int mode, K key, V value, Object expected, BiFunction<? super K, ? super V, ? extends V> fn) {
        Objects.requireNonNull(key, "key");
        if (mode == Op.PUT || mode == Op.PUT_IF_ABSENT || mode == Op.REPLACE || mode == Op.REPLACE_IF_EQUAL) {
            Objects.requireNonNull(value, "value");
        }
        markLoadStale(key);
        Op op = new Op(mode, key, value, expected, fn);
        data.compute(key, op);
        finish(op);
        return op;
    }

    private void markLoadStale(Object key) {
        if (!loads.isEmpty()) {
            InFlight<V> f = loads.get(key);
            if (f != null) {
                f.stale = true;
            }
        }
    }

    private void finish(Op op) {
        if (op.retired != null) {
            afterWrite(op.retired);
        }
        if (op.added != null) {
            afterWrite(op.added);
        }
        if (op.updated != null) {
            if (op.weightChanged || expireAfterWriteNanos > 0) {
                afterWrite(op.updated);
            } else {
                afterRead(op.updated);
            }
        }
        if (op.read != null) {
            afterRead(op.read);
        }
        if (op.cause != null) {
            if (op.cause == RemovalCause.EXPIRED && stats != null) {
                stats.eviction(op.removedWeight);
            }
            if (listener != null) {
                notifyListener(op.key, op.removedValue, op.cause);
            }
        }
    }

    private Node<K, V> newNode(K key, V value, int weight, long now) {
        if (timed) {
            return new Node.Timed<>(key, value, weight, now);
        }
        if (weigher != null) {
            return new Node.Weighted<>(key, value, weight);
        }
        return new Node.Sized<>(key, value);
    }

    private int weigh(K key, V value) {
        if (weigher == null) {
            return 1;
        }
        int w = weigher.weigh(key, value);
        if (w < 0) {
            throw new IllegalArgumentException(
                    "the weigher returned " + w + " for key " + key + "; weights must be >= 0");
        }
        return w;
    }

    /**
     * One per-key table mutation, run as the remapping function of {@link ConcurrentHashMap#compute} (so it
     * is atomic for its key) and carrying its outcome back to the caller.
     */
    private final class Op implements BiFunction<K, Node<K, V>, Node<K, V>> {
        static final int PUT = 0;
        static final int PUT_IF_ABSENT = 1;
        static final int REMOVE = 2;
        static final int REMOVE_IF_EQUAL = 3;
        static final int REPLACE = 4;
        static final int REPLACE_IF_EQUAL = 5;
        static final int REMAP = 6;
        static final int INSTALL = 7;

        final int mode;
        final K key;
        final V value;
        final Object expected;
        final BiFunction<? super K, ? super V, ? extends V> fn;
        InFlight<V> load;

        Node<K, V> added;
        Node<K, V> updated;
        Node<K, V> retired;
        Node<K, V> read;
        boolean weightChanged;
        /** The live value before the operation, or null. */
        V previous;
        /** The live value after the operation, or null. */
        V result;
        /** What the listener is told about. */
        RemovalCause cause;

        V removedValue;
        long removedWeight;

        Op(int mode, K key, V value, Object expected, BiFunction<? super K, ? super V, ? extends V> fn) {
            this.mode = mode;
            this.key = key;
            this.value = value;
            this.expected = expected;
            this.fn = fn;
        }

        @Override
        public Node<K, V> apply(K k, Node<K, V> cur) {
            if (cur == null) {
                return applyLocked(k, null);
            }
            // The node's monitor orders this with in-place puts; the table's bin lock is already held.
            synchronized (cur) {
                return applyLocked(k, cur);
            }
        }

        private Node<K, V> applyLocked(K k, Node<K, V> cur) {
            long now = timed ? ticker.read() : 0L;
            boolean expired = cur != null && timed && isExpired(cur, now);
            V old = cur == null || expired ? null : cur.value;
            V next = nextValue(k, old);
            if (next == old) {
                // No change; an expired entry with nothing to replace it is removed.
                if (expired) {
                    retire(cur, RemovalCause.EXPIRED);
                    return null;
                }
                previous = old;
                result = old;
                if (cur != null && mode != REMOVE_IF_EQUAL && mode != REPLACE_IF_EQUAL && mode != REMOVE) {
                    read = cur;
                }
                return cur;
            }
            int w = next == null ? 0 : weigh(k, next);
            previous = old;
            result = next;
            if (expired) {
                retire(cur, RemovalCause.EXPIRED);
                if (next == null) {
                    return null;
                }
                added = newNode(k, next, w, now);
                return added;
            }
            if (next == null) {
                retire(cur, RemovalCause.EXPLICIT);
                return null;
            }
            if (cur == null) {
                added = newNode(k, next, w, now);
                return added;
            }
            removedValue = old;
            removedWeight = cur.weight();
            cause = old == next ? null : RemovalCause.REPLACED;
            weightChanged = w != cur.weight();
            cur.value = next;
            cur.setWeight(w);
            if (timed) {
                cur.setWriteTime(now);
                cur.setAccessTime(now);
            }
            updated = cur;
            return cur;
        }

        private void retire(Node<K, V> n, RemovalCause why) {
            n.state = Node.RETIRED;
            retired = n;
            removedValue = n.value;
            removedWeight = n.weight();
            cause = why;
        }

        /** The value the key should map to given its live value {@code old} (null = absent). */
        private V nextValue(K k, V old) {
            switch (mode) {
                case PUT:
                    return value;
                case PUT_IF_ABSENT:
                    return old != null ? old : value;
                case REMOVE:
                    return null;
                case REMOVE_IF_EQUAL:
                    return old != null && old.equals(expected) ? null : old;
                case REPLACE:
                    return old != null ? value : null;
                case REPLACE_IF_EQUAL:
                    return old != null && old.equals(expected) ? value : old;
                case REMAP:
                    return fn.apply(k, old);
                case INSTALL:
                    return old != null || load.stale ? old : value;
                default:
                    throw new AssertionError(mode);
            }
        }
    }

    // ---------------------------------------------------------------- buffers and maintenance

    private void afterRead(Node<K, V> n) {
        // A full read stripe asks for maintenance only when none is pending or running: reads never make a
        // running maintenance loop again (only writes must), so a steady stream of reads cannot keep the
        // maintenance thread busy replaying every access; the surplus is dropped, as BP-Wrapper allows.
        if (readBuffer.offer(n) == ReadBuffer.FULL && drainStatus.value == IDLE) {
            scheduleDrain();
        }
    }

    private void afterWrite(Node<K, V> n) {
        while (!writeBuffer.offer(n)) {
            // Full: help by running maintenance here (never called inside a table compute).
            performMaintenance();
        }
        scheduleDrain();
    }

    /** Asks for maintenance on the executor unless it is already asked for or running. */
    void scheduleDrain() {
        for (; ; ) {
            int s = drainStatus.value;
            if (s == IDLE) {
                if (DRAIN_STATUS.compareAndSet(drainStatus, IDLE, REQUIRED)) {
                    try {
                        executor.execute(drainTask);
                    } catch (RuntimeException e) {
                        LOG.warn("cache maintenance could not be handed to the executor; running it inline", e);
                        performMaintenance();
                    }
                    return;
                }
            } else if (s == PROCESSING) {
                if (DRAIN_STATUS.compareAndSet(drainStatus, PROCESSING, PROCESSING_AGAIN)) {
                    return;
                }
            } else {
                return;
            }
        }
    }

    /** Takes the eviction lock, applies every buffered event, expires and evicts, then notifies listeners. */
    void performMaintenance() {
        List<Removal<K, V>> removals;
        evictionLock.lock();
        try {
            removals = maintainLocked();
        } finally {
            evictionLock.unlock();
        }
        deliver(removals);
    }

    private List<Removal<K, V>> maintainLocked() {
        drainStatus.value = PROCESSING;
        do {
            readBuffer.drainTo(accessSink);
            Node<K, V> n;
            while ((n = writeBuffer.poll()) != null) {
                reconcile(n);
            }
            if (timed) {
                expire(ticker.read());
            }
            evict();
        } while (!DRAIN_STATUS.compareAndSet(drainStatus, PROCESSING, IDLE) && restartProcessing());
        if (pendingRemovals.isEmpty()) {
            return null;
        }
        List<Removal<K, V>> out = new ArrayList<>(pendingRemovals);
        pendingRemovals.clear();
        return out;
    }

    private boolean restartProcessing() {
        drainStatus.value = PROCESSING;
        return true;
    }

    private void applyAccess(Object e) {
        @SuppressWarnings("unchecked")
        Node<K, V> n = (Node<K, V>) e;
        if (n.linked && n.state == Node.ALIVE) {
            policy.onAccess(n);
            if (expireAfterAccessNanos > 0) {
                accessOrder.moveToLast((Node.Timed<K, V>) n);
            }
        }
    }

    /** Brings the policy in line with the node's current state (see the class comment). */
    private void reconcile(Node<K, V> n) {
        byte state = n.state;
        if (state == Node.ALIVE) {
            if (!n.linked) {
                n.setPolicyWeight(n.weight());
                n.linked = true;
                policy.onAdd(n);
                if (timed) {
                    linkTimed((Node.Timed<K, V>) n);
                }
            } else {
                long oldWeight = n.policyWeight();
                n.setPolicyWeight(n.weight());
                policy.onUpdate(n, oldWeight);
                if (timed) {
                    Node.Timed<K, V> t = (Node.Timed<K, V>) n;
                    writeOrder.moveToLast(t);
                    accessOrder.moveToLast(t);
                }
            }
        } else if (state == Node.RETIRED) {
            if (n.linked) {
                unlinkFromPolicy(n);
                policy.onRemove(n);
            }
            n.state = Node.DEAD;
        }
    }

    private void unlinkFromPolicy(Node<K, V> n) {
        n.linked = false;
        if (timed) {
            unlinkTimed((Node.Timed<K, V>) n);
        }
    }

    private void evict() {
        while (policy.weightedSize() > policy.maximum()) {
            PolicyNode victim = policy.evict();
            if (victim == null) {
                break;
            }
            @SuppressWarnings("unchecked")
            Node<K, V> n = (Node<K, V>) victim;
            unlinkFromPolicy(n);
            if (n.state == Node.ALIVE) {
                removeFromTable(n, RemovalCause.SIZE, 0L);
            }
            n.state = Node.DEAD;
        }
    }

    private void expire(long now) {
        if (expireAfterWriteNanos > 0) {
            Node.Timed<K, V> n;
            while ((n = writeOrder.first()) != null && now - n.writeTime() >= expireAfterWriteNanos) {
                expireNode(n, now);
            }
        }
        if (expireAfterAccessNanos > 0) {
            Node.Timed<K, V> n;
            while ((n = accessOrder.first()) != null && isExpired(n, now)) {
                expireNode(n, now);
            }
        }
    }

    private void expireNode(Node.Timed<K, V> n, long now) {
        if (n.state == Node.ALIVE && !removeFromTable(n, RemovalCause.EXPIRED, now)) {
            if (n.state == Node.ALIVE) {
                // Written again since it was found expired: keep it, at the young end.
                writeOrder.moveToLast(n);
                accessOrder.moveToLast(n);
                return;
            }
        }
        unlinkFromPolicy(n);
        policy.onRemove(n);
        n.state = Node.DEAD;
    }

    /**
     * Unmaps a node the policy chose (eviction or expiry), if it is still mapped and, for expiry, still
     * expired. Returns whether it was removed; records the removal for the listener and the stats.
     */
    private boolean removeFromTable(Node<K, V> n, RemovalCause cause, long now) {
        Unmap u = unmap;
        u.target = n;
        u.cause = cause;
        u.now = now;
        V value;
        try {
            data.computeIfPresent(n.key, u);
            value = u.removed;
        } finally {
            u.target = null;
            u.removed = null;
        }
        if (value == null) {
            return false;
        }
        if (stats != null) {
            stats.eviction(cause == RemovalCause.SIZE ? n.policyWeight() : n.weight());
        }
        if (listener != null) {
            pendingRemovals.add(new Removal<>(n.key, value, cause));
        }
        return true;
    }

    /**
     * The remapping function that unmaps a victim chosen by maintenance, if it is still mapped and, for expiry,
     * still expired. One instance, reused, so evicting allocates nothing but what the table frees; its fields
     * are set and read only by the eviction-lock holder (the table runs the function on the calling thread).
     */
    private final class Unmap implements BiFunction<K, Node<K, V>, Node<K, V>> {
        Node<K, V> target;
        RemovalCause cause;
        long now;
        /** The value of the node unmapped by the last call, or null if it was not unmapped. */
        V removed;

        @Override
        public Node<K, V> apply(K k, Node<K, V> cur) {
            if (cur != target || (cause == RemovalCause.EXPIRED && !isExpired(cur, now))) {
                return cur;
            }
            synchronized (cur) {
                cur.state = Node.RETIRED;
                removed = cur.value;
            }
            return null;
        }
    }

    private void linkTimed(Node.Timed<K, V> n) {
        writeOrder.linkLast(n);
        accessOrder.linkLast(n);
    }

    private void unlinkTimed(Node.Timed<K, V> n) {
        writeOrder.unlink(n);
        accessOrder.unlink(n);
    }

    private void deliver(List<Removal<K, V>> removals) {
        if (removals != null) {
            for (Removal<K, V> r : removals) {
                notifyListener(r.key, r.value, r.cause);
            }
        }
    }

    private void notifyListener(K key, V value, RemovalCause cause) {
        try {
            listener.onRemoval(key, value, cause);
        } catch (RuntimeException e) {
            LOG.warn("removal listener threw for key {} ({}); ignored", key, cause, e);
        }
    }

    private record Removal<K, V>(K key, V value, RemovalCause cause) {}

    // ---------------------------------------------------------------- loads

    /** A load in progress: its owner computes, other callers wait on {@link #future}. */
    private static final class InFlight<V> {
        final CompletableFuture<V> future = new CompletableFuture<>();
        final Thread owner = Thread.currentThread();
        final Object key;
        volatile boolean stale;

        InFlight(Object key) {
            this.key = key;
        }

        V await() {
            if (owner == Thread.currentThread()) {
                throw new IllegalStateException(
                        "recursive load: the mapping function for key " + key + " asked the cache for the same key");
            }
            try {
                return future.join();
            } catch (CompletionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException re) {
                    throw re;
                }
                if (cause instanceof Error err) {
                    throw err;
                }
                throw new CacheException("loading key " + key + " failed", cause);
            }
        }
    }

    // ---------------------------------------------------------------- misc

    @Override
    public long estimatedSize() {
        return data.mappingCount();
    }

    @Override
    public CacheStats stats() {
        return stats == null ? CacheStats.empty() : stats.snapshot();
    }

    @Override
    public void cleanUp() {
        performMaintenance();
    }

    @Override
    public ConcurrentMap<K, V> asMap() {
        MapView view = mapView;
        if (view == null) {
            view = new MapView();
            mapView = view;
        }
        return view;
    }

    @Override
    public CachePolicy<K> policy() {
        return new PolicyView();
    }

    @Override
    public String toString() {
        return "Cache[size=" + data.mappingCount() + ", policy=" + kind + ", maximum=" + policy.maximum() + "]";
    }

    /** The policy view: every method runs maintenance first, so it sees every event so far. */
    private final class PolicyView implements CachePolicy<K> {
        @Override
        public EvictionPolicyKind kind() {
            return kind;
        }

        @Override
        public long maximum() {
            evictionLock.lock();
            try {
                return policy.maximum();
            } finally {
                evictionLock.unlock();
            }
        }

        @Override
        public void setMaximum(long maximum) {
            if (maximum <= 0) {
                throw new IllegalArgumentException("maximum must be > 0 but was " + maximum);
            }
            List<Removal<K, V>> removals;
            evictionLock.lock();
            try {
                policy.setMaximum(maximum);
                removals = maintainLocked();
            } finally {
                evictionLock.unlock();
            }
            deliver(removals);
        }

        @Override
        public long weightedSize() {
            List<Removal<K, V>> removals;
            long size;
            evictionLock.lock();
            try {
                removals = maintainLocked();
                size = policy.weightedSize();
            } finally {
                evictionLock.unlock();
            }
            deliver(removals);
            return size;
        }

        @Override
        public List<K> hottest(int limit) {
            return keys(limit, true);
        }

        @Override
        public List<K> coldest(int limit) {
            return keys(limit, false);
        }

        private List<K> keys(int limit, boolean hottest) {
            if (limit < 0) {
                throw new IllegalArgumentException("limit must be >= 0 but was " + limit);
            }
            List<Removal<K, V>> removals;
            List<K> keys = new ArrayList<>();
            evictionLock.lock();
            try {
                removals = maintainLocked();
                List<PolicyNode> nodes = hottest ? policy.hottest(limit) : policy.coldest(limit);
                for (PolicyNode p : nodes) {
                    @SuppressWarnings("unchecked")
                    Node<K, V> n = (Node<K, V>) p;
                    if (n.state == Node.ALIVE) {
                        keys.add(n.key);
                    }
                }
            } finally {
                evictionLock.unlock();
            }
            deliver(removals);
            return Collections.unmodifiableList(keys);
        }
    }

    /** The {@link ConcurrentMap} view; reads record accesses but no stats, and never load. */
    private final class MapView extends AbstractMap<K, V> implements ConcurrentMap<K, V> {
        private Set<K> keySet;
        private Collection<V> values;
        private Set<Map.Entry<K, V>> entrySet;

        @Override
        public int size() {
            return data.size();
        }

        @Override
        public boolean isEmpty() {
            return data.isEmpty();
        }

        @Override
        public boolean containsKey(Object key) {
            return liveNode(Objects.requireNonNull(key, "key")) != null;
        }

        @Override
        public boolean containsValue(Object value) {
            Objects.requireNonNull(value, "value");
            long now = timed ? ticker.read() : 0L;
            for (Node<K, V> n : data.values()) {
                if ((!timed || !isExpired(n, now)) && n.value.equals(value)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public V get(Object key) {
            Node<K, V> n = data.get(Objects.requireNonNull(key, "key"));
            if (n == null) {
                return null;
            }
            V v = n.value;
            if (timed && !touch(n)) {
                return null;
            }
            afterRead(n);
            return v;
        }

        @Override
        public V put(K key, V value) {
            return putValue(key, value);
        }

        @Override
        public V putIfAbsent(K key, V value) {
            return write(Op.PUT_IF_ABSENT, key, value, null, null).previous;
        }

        @Override
        public V remove(Object key) {
            @SuppressWarnings("unchecked")
            K k = (K) Objects.requireNonNull(key, "key");
            return write(Op.REMOVE, k, null, null, null).previous;
        }

        @Override
        public boolean remove(Object key, Object value) {
            Objects.requireNonNull(key, "key");
            if (value == null) {
                return false;
            }
            @SuppressWarnings("unchecked")
            K k = (K) key;
            Op op = write(Op.REMOVE_IF_EQUAL, k, null, value, null);
            return op.previous != null && op.result == null;
        }

        @Override
        public V replace(K key, V value) {
            return write(Op.REPLACE, key, value, null, null).previous;
        }

        @Override
        public boolean replace(K key, V oldValue, V newValue) {
            Objects.requireNonNull(oldValue, "oldValue");
            Objects.requireNonNull(newValue, "newValue");
            Op op = write(Op.REPLACE_IF_EQUAL, key, newValue, oldValue, null);
            return op.previous != null && op.previous.equals(oldValue);
        }

        @Override
        public V compute(K key, BiFunction<? super K, ? super V, ? extends V> remappingFunction) {
            Objects.requireNonNull(remappingFunction, "remappingFunction");
            return write(Op.REMAP, key, null, null, remappingFunction).result;
        }

        @Override
        public V computeIfAbsent(K key, Function<? super K, ? extends V> mappingFunction) {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(mappingFunction, "mappingFunction");
            Node<K, V> n = data.get(key);
            if (n != null) {
                V v = n.value;
                if (!timed || touch(n)) {
                    afterRead(n);
                    return v;
                }
            }
            return write(Op.REMAP, key, null, null, (k, old) -> old != null ? old : mappingFunction.apply(k)).result;
        }

        @Override
        public V computeIfPresent(K key, BiFunction<? super K, ? super V, ? extends V> remappingFunction) {
            Objects.requireNonNull(remappingFunction, "remappingFunction");
            return write(Op.REMAP, key, null, null, (k, old) -> old == null ? null : remappingFunction.apply(k, old))
                    .result;
        }

        @Override
        public V merge(K key, V value, BiFunction<? super V, ? super V, ? extends V> remappingFunction) {
            Objects.requireNonNull(value, "value");
            Objects.requireNonNull(remappingFunction, "remappingFunction");
            return write(
                            Op.REMAP,
                            key,
                            null,
                            null,
                            (k, old) -> old == null ? value : remappingFunction.apply(old, value))
                    .result;
        }

        @Override
        public void clear() {
            invalidateAll();
        }

        @Override
        public Set<K> keySet() {
            Set<K> ks = keySet;
            return ks != null ? ks : (keySet = new KeySetView());
        }

        @Override
        public Collection<V> values() {
            Collection<V> vs = values;
            return vs != null ? vs : (values = new ValuesView());
        }

        @Override
        public Set<Map.Entry<K, V>> entrySet() {
            Set<Map.Entry<K, V>> es = entrySet;
            return es != null ? es : (entrySet = new EntrySetView());
        }
    }

    /** Iterates live entries (skipping expired ones); {@code remove()} removes the last key returned. */
    private abstract class ViewIterator<T> implements Iterator<T> {
        private final Iterator<Node<K, V>> nodes = data.values().iterator();
        private final long now = timed ? ticker.read() : 0L;
        private Node<K, V> next;
        private K lastKey;

        @Override
        public boolean hasNext() {
            while (next == null && nodes.hasNext()) {
                Node<K, V> n = nodes.next();
                if (!timed || !isExpired(n, now)) {
                    next = n;
                }
            }
            return next != null;
        }

        Node<K, V> nextNode() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Node<K, V> n = next;
            next = null;
            lastKey = n.key;
            return n;
        }

        @Override
        public void remove() {
            if (lastKey == null) {
                throw new IllegalStateException("remove() without a preceding next()");
            }
            invalidate(lastKey);
            lastKey = null;
        }
    }

    private final class KeySetView extends AbstractSet<K> {
        @Override
        public int size() {
            return data.size();
        }

        @Override
        public boolean contains(Object o) {
            return asMap().containsKey(o);
        }

        @Override
        public boolean remove(Object o) {
            return asMap().remove(o) != null;
        }

        @Override
        public void clear() {
            invalidateAll();
        }

        @Override
        public Iterator<K> iterator() {
            return new ViewIterator<K>() {
                @Override
                public K next() {
                    return nextNode().key;
                }
            };
        }
    }

    private final class ValuesView extends AbstractCollection<V> {
        @Override
        public int size() {
            return data.size();
        }

        @Override
        public boolean contains(Object o) {
            return asMap().containsValue(o);
        }

        @Override
        public void clear() {
            invalidateAll();
        }

        @Override
        public Iterator<V> iterator() {
            return new ViewIterator<V>() {
                @Override
                public V next() {
                    return nextNode().value;
                }
            };
        }
    }

    private final class EntrySetView extends AbstractSet<Map.Entry<K, V>> {
        @Override
        public int size() {
            return data.size();
        }

        @Override
        public boolean contains(Object o) {
            if (!(o instanceof Map.Entry<?, ?> e)) {
                return false;
            }
            Object key = e.getKey();
            Object value = e.getValue();
            if (key == null || value == null) {
                return false;
            }
            Node<K, V> n = liveNode(key);
            return n != null && n.value.equals(value);
        }

        @Override
        public boolean remove(Object o) {
            if (!(o instanceof Map.Entry<?, ?> e)) {
                return false;
            }
            Object key = e.getKey();
            Object value = e.getValue();
            if (key == null || value == null) {
                return false;
            }
            return asMap().remove(key, value);
        }

        @Override
        public void clear() {
            invalidateAll();
        }

        @Override
        public Iterator<Map.Entry<K, V>> iterator() {
            return new ViewIterator<Map.Entry<K, V>>() {
                @Override
                public Map.Entry<K, V> next() {
                    Node<K, V> n = nextNode();
                    return new WriteThroughEntry(n.key, n.value);
                }
            };
        }
    }

    /** An entry snapshot whose {@code setValue} writes through to the cache. */
    private final class WriteThroughEntry extends AbstractMap.SimpleEntry<K, V> {
        private static final long serialVersionUID = 1L;

        WriteThroughEntry(K key, V value) {
            super(key, value);
        }

        @Override
        public V setValue(V value) {
            Objects.requireNonNull(value, "value");
            asMap().put(getKey(), value);
            return super.setValue(value);
        }
    }

    // ---------------------------------------------------------------- loading

    /** A cache built with a {@link CacheLoader}. */
    static final class Loading<K, V> extends BoundedCache<K, V> implements LoadingCache<K, V> {
        private final Function<K, V> loaderFunction;

        Loading(CacheSettings settings, CacheLoader<? super K, V> loader) {
            super(settings);
            this.loaderFunction = key -> {
                try {
                    return loader.load(key);
                } catch (RuntimeException | Error e) {
                    throw e;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CacheException("loading key " + key + " was interrupted", e);
                } catch (Exception e) {
                    throw new CacheException("loading key " + key + " failed", e);
                }
            };
        }

        @Override
        public V get(K key) {
            return get(key, loaderFunction);
        }

        @Override
        public Map<K, V> getAll(Iterable<? extends K> keys) {
            Objects.requireNonNull(keys, "keys");
            Map<K, V> result = new LinkedHashMap<>();
            for (K key : keys) {
                V v = get(Objects.requireNonNull(key, "keys contains a null key"));
                if (v != null) {
                    result.put(key, v);
                }
            }
            return Collections.unmodifiableMap(result);
        }
    }
}
