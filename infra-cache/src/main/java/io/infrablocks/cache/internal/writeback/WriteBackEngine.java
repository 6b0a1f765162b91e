package io.infrablocks.cache.internal.writeback;

import io.infrablocks.cache.CacheException;
import io.infrablocks.cache.CacheStore;
import io.infrablocks.cache.CacheStoreException;
import io.infrablocks.cache.DeadLetter;
import io.infrablocks.cache.DeadLetterHandler;
import io.infrablocks.cache.DirtyLimitExceededException;
import io.infrablocks.cache.UnstoredWritesException;
import io.infrablocks.cache.WriteBackCache;
import io.infrablocks.cache.WriteBackListener;
import io.infrablocks.cache.WriteBackMetrics;
import io.infrablocks.journal.Journal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Design: a write-behind cache (as in Oracle Coherence's and Hazelcast's write-behind map stores) that keeps
 * every acknowledged write until the store has it.
 *
 * Data. `staging` (ConcurrentHashMap) holds one Entry per dirty key: the key's latest state (value or
 * TOMBSTONE) and bookkeeping. A key is in staging from its first unstored write until the writer that stored
 * its latest state removes it; staging is not subject to eviction, which gives read-your-writes. The clean
 * cache holds stored values only and may evict freely.
 *
 * Lock domains.
 *  - The staging bin lock of a key (taken by ConcurrentHashMap.compute) guards every Entry field written outside
 *    the owning writer (value, seq, inFlight, pending*) AND every clean-cache mutation of that key, plus the
 *    key's stripe of `versions`. A reader that loaded a value from the store caches it only inside compute, and
 *    only when no entry exists and the stripe version did not move since before it looked at staging; so a load
 *    racing with a write+store of the same key never caches a stale value.
 *  - `sched` guards the two priority queues (`ready`: dirty keys by deadline = dirtySince + maxDelay;
 *    `backoff`: failed keys by next attempt), the flush requests and `stopping`. Writers wait on `work`.
 *    An Entry is in at most one queue or owned by one writer ("in flight"): per key at most one store call is in
 *    flight and each carries a newer state than the last, hence per-key order at the store.
 *  - `spaceLock` only parks writes at the dirty bound (`dirty` counts staging entries; CAS-reserved).
 *  - Journaled mode: `stripeLocks` serialize writes of keys of the same stripe across journal commit + staging,
 *    so staging applies the writes of a key in LSN order (replay order). `pendingLsn[stripe]` holds a lower
 *    bound of the LSN being committed, so a checkpoint never passes a committed write not yet in staging:
 *    checkpoint = min(journal.lastLsn() read first, pendingLsn, min firstUnstoredLsn in staging - 1).
 *
 * Sequence numbers. Each write gets a global `seq`. An Entry keeps firstUnstoredSeq/Lsn, lower bounds of the
 * seq/LSN of its unstored writes; flush(target) completes when every entry's firstUnstoredSeq > target
 * (checked by a scan of staging after each batch while a flush is pending); checkpoints use firstUnstoredLsn.
 *
 * Complexity. put/delete: O(1) map compute, plus O(log d) queue insertion when the key becomes dirty (d dirty
 * keys). get: O(1), one store load on a miss. A batch: O(b log d). flush check and checkpoint: O(d) scans, only
 * while a flush is pending / at most every CHECKPOINT_INTERVAL.
 */
/**
 * The write-back engine behind {@link WriteBackCache}: staging map, writer threads, retries, journal.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class WriteBackEngine<K, V> implements WriteBackCache<K, V> {

    private static final Logger log = LoggerFactory.getLogger(WriteBackEngine.class);
    private static final Object TOMBSTONE = new Object();
    private static final int STRIPES = 256;
    private static final long CHECKPOINT_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final WriteBackListener NO_LISTENER = new WriteBackListener() {};
    private static final Comparator<Entry<?>> BY_DUE = (a, b) -> {
        int c = Long.compare(a.dueNanos - b.dueNanos, 0);
        return c != 0 ? c : Long.compare(a.queueOrder, b.queueOrder);
    };
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    /** The staging record of a dirty key. */
    static final class Entry<K> {
        final K key;
        /** Latest state: a value or TOMBSTONE. Written under the bin lock, read by get() without it. */
        volatile Object value;
        /** Seq of the latest write. Bin lock. */
        long seq;
        /** Lower bound of the seqs of the unstored writes. Written under the bin lock. */
        volatile long firstUnstoredSeq;
        /** Lower bound of the LSNs of the unstored writes (0 when not journaled). Written under the bin lock. */
        volatile long firstUnstoredLsn;
        /** When the oldest unstored write was made (ticker). Written under the bin lock. */
        volatile long dirtySinceNanos;
        /** Whether a writer is storing a snapshot. Bin lock. */
        boolean inFlight;
        /** The first write after the in-flight snapshot (0 = none). Bin lock. */
        long pendingFirstSeq;

        long pendingFirstLsn;
        long pendingSinceNanos;
        /** The snapshot being stored, owned by the writer holding the entry. */
        long snapSeq;

        Object snapValue;
        /** Failures in a row; owned by the writer holding the entry. */
        int attempts;
        /** When the entry is due in its queue. Guarded by sched. */
        long dueNanos;
        /** Tie-break of equal due times: queue insertion order (FIFO). Guarded by sched. */
        long queueOrder;

        Entry(K key) {
            this.key = key;
        }
    }

    private record FlushRequest(long target, CompletableFuture<Void> future) {}

    private final String name;
    private final CacheStore<K, V> store;
    private final CleanCache<K, V> clean;
    private final LongSupplier ticker;
    private final long maxDelayNanos;
    private final int batchSize;
    private final int maxDirty;
    private final long dirtyTimeoutNanos;
    private final int maxAttempts;
    private final long backoffInitialNanos;
    private final long backoffMaxNanos;
    private final long closeTimeoutNanos;
    private final DeadLetterHandler<K, V> deadLetterHandler;
    private final WriteBackListener listener;

    private final ConcurrentHashMap<K, Entry<K>> staging = new ConcurrentHashMap<>();
    private final AtomicLongArray versions = new AtomicLongArray(STRIPES);
    private final AtomicLong writeSeq = new AtomicLong();
    private final AtomicInteger dirty = new AtomicInteger();

    private final ReentrantLock spaceLock = new ReentrantLock();
    private final Condition space = spaceLock.newCondition();
    private volatile int spaceWaiters;

    private final ReentrantLock sched = new ReentrantLock();
    private final Condition work = sched.newCondition();
    private final Condition progress = sched.newCondition();
    private final PriorityQueue<Entry<K>> ready = new PriorityQueue<>(BY_DUE);
    private final PriorityQueue<Entry<K>> backoff = new PriorityQueue<>(BY_DUE);
    private final List<FlushRequest> flushRequests = new ArrayList<>();
    private volatile int pendingFlushes;
    private boolean stopping;
    private long queueOrder;
    private final Thread[] writers;

    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean closing;
    private final AtomicInteger activeWrites = new AtomicInteger();
    private volatile Throwable lastStoreFailure;
    private volatile boolean storeFailing;

    private final Journal journal;
    private final JournalCodec<K, V> journalCodec;
    private final ReentrantLock[] stripeLocks;
    private final AtomicLongArray pendingLsn;
    private final ReentrantLock checkpointLock = new ReentrantLock();
    private long lastCheckpointLsn;
    private long lastCheckpointNanos;

    private final LongAdder writes = new LongAdder();
    private final AtomicLong storedWrites = new AtomicLong();
    private final AtomicLong storeBatches = new AtomicLong();
    private final AtomicLong maxBatchSize = new AtomicLong();
    private final AtomicLong storeFailures = new AtomicLong();
    private final AtomicLong storeTotalNanos = new AtomicLong();
    private final AtomicLong storeMaxNanos = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();
    private final AtomicLong deadLetters = new AtomicLong();
    private final AtomicLong flushes = new AtomicLong();
    private final AtomicLong backpressureWaits = new AtomicLong();
    private final AtomicLong backpressureTimeouts = new AtomicLong();
    private final long replayedWrites;

    /**
     * Opens the engine: opens and replays the journal when configured, then starts the writer threads.
     *
     * @param settings the validated settings
     */
    public WriteBackEngine(WriteBackSettings<K, V> settings) {
        this.name = settings.name();
        this.store = settings.store();
        this.clean = settings.cleanCache();
        this.ticker = settings.ticker();
        this.maxDelayNanos = settings.maxDelayNanos();
        this.batchSize = settings.batchSize();
        this.maxDirty = settings.maxDirty();
        this.dirtyTimeoutNanos = settings.dirtyTimeoutNanos();
        this.maxAttempts = settings.maxAttempts();
        this.backoffInitialNanos = settings.backoffInitialNanos();
        this.backoffMaxNanos = settings.backoffMaxNanos();
        this.closeTimeoutNanos = settings.closeTimeoutNanos();
        this.deadLetterHandler = settings.deadLetterHandler();
        this.listener = settings.listener() == null ? NO_LISTENER : settings.listener();
        if (settings.journalDirectory() != null) {
            this.journal = Journal.open(settings.journalDirectory(), settings.journalConfig());
            this.journalCodec = new JournalCodec<>(settings.keyCodec(), settings.valueCodec());
            this.stripeLocks = new ReentrantLock[STRIPES];
            for (int i = 0; i < STRIPES; i++) {
                stripeLocks[i] = new ReentrantLock();
            }
            this.pendingLsn = new AtomicLongArray(STRIPES);
            this.lastCheckpointLsn = journal.checkpointLsn();
            try {
                this.replayedWrites = replay();
            } catch (RuntimeException e) {
                journal.close();
                throw e;
            }
        } else {
            this.journal = null;
            this.journalCodec = null;
            this.stripeLocks = null;
            this.pendingLsn = null;
            this.replayedWrites = 0;
        }
        ThreadFactory factory =
                settings.threadFactory() != null ? settings.threadFactory() : defaultThreadFactory(name);
        this.writers = new Thread[settings.writerThreads()];
        for (int i = 0; i < writers.length; i++) {
            writers[i] = factory.newThread(this::runWriter);
        }
        for (Thread t : writers) {
            t.start();
        }
        log.info(
                "write-back cache '{}' open: {} writer(s), batch {}, maxDelay {} ms, maxDirty {}, {}",
                name,
                writers.length,
                batchSize,
                TimeUnit.NANOSECONDS.toMillis(maxDelayNanos),
                maxDirty,
                journal == null
                        ? "no journal"
                        : "journal " + settings.journalDirectory() + " (" + replayedWrites + " writes replayed)");
    }

    private static ThreadFactory defaultThreadFactory(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "infra-cache-" + name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * A unique default name for an unnamed cache.
     *
     * @return e.g. {@code writeback-1}
     */
    public static String defaultName() {
        return "writeback-" + INSTANCES.incrementAndGet();
    }

    // ------------------------------------------------------------------ reads

    @Override
    public V get(K key) {
        Objects.requireNonNull(key, "key");
        int stripe = stripe(key);
        long version = versions.get(stripe);
        Entry<K> e = staging.get(key);
        if (e != null) {
            return unwrap(e.value);
        }
        V cached = clean.getIfPresent(key);
        if (cached != null) {
            return cached;
        }
        V loaded;
        try {
            loaded = store.load(key);
        } catch (CacheException ex) {
            throw ex;
        } catch (RuntimeException ex) {
            throw new CacheException("write-back cache '" + name + "': loading key " + key + " failed", ex);
        }
        if (loaded == null) {
            return null;
        }
        Object[] dirtyState = new Object[1];
        staging.compute(key, (k, cur) -> {
            if (cur == null) {
                if (versions.get(stripe) == version) {
                    clean.put(k, loaded);
                }
            } else {
                dirtyState[0] = cur.value;
            }
            return cur;
        });
        // A write that raced with the load is newer than the loaded value.
        return dirtyState[0] != null ? unwrap(dirtyState[0]) : loaded;
    }

    @Override
    public V getIfPresent(K key) {
        Objects.requireNonNull(key, "key");
        Entry<K> e = staging.get(key);
        if (e != null) {
            return unwrap(e.value);
        }
        return clean.getIfPresent(key);
    }

    @Override
    public void invalidate(K key) {
        Objects.requireNonNull(key, "key");
        int stripe = stripe(key);
        staging.compute(key, (k, cur) -> {
            versions.incrementAndGet(stripe);
            clean.invalidate(k);
            return cur;
        });
    }

    @SuppressWarnings("unchecked")
    private V unwrap(Object state) {
        return state == TOMBSTONE ? null : (V) state;
    }

    // ------------------------------------------------------------------ writes

    @Override
    public void put(K key, V value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        write(key, value);
    }

    @Override
    public void putAll(Map<? extends K, ? extends V> entries) {
        Objects.requireNonNull(entries, "entries");
        for (Map.Entry<? extends K, ? extends V> e : entries.entrySet()) {
            put(e.getKey(), e.getValue());
        }
    }

    @Override
    public void delete(K key) {
        Objects.requireNonNull(key, "key");
        write(key, TOMBSTONE);
    }

    private void write(K key, Object state) {
        activeWrites.incrementAndGet();
        try {
            if (closing) {
                throw closedException();
            }
            boolean reserved = false;
            if (!staging.containsKey(key)) {
                acquireSlot();
                reserved = true;
            }
            boolean created;
            try {
                created = journal == null ? stage(key, state, 0L, reserved) : journaledStage(key, state, reserved);
            } catch (RuntimeException ex) {
                if (reserved) {
                    releaseSlot();
                }
                throw ex;
            }
            if (reserved && !created) {
                releaseSlot();
            }
            writes.increment();
        } finally {
            activeWrites.decrementAndGet();
        }
    }

    private boolean journaledStage(K key, Object state, boolean reserved) {
        byte[] record = journalCodec.encode(key, state == TOMBSTONE ? null : unwrap(state));
        int stripe = stripe(key);
        ReentrantLock lock = stripeLocks[stripe];
        lock.lock();
        try {
            pendingLsn.set(stripe, journal.lastLsn() + 1);
            long lsn;
            try {
                lsn = journal.begin().append(record).commit();
            } catch (RuntimeException ex) {
                throw new CacheException(
                        "write-back cache '" + name + "': journal commit failed, the write of key " + key
                                + " was not applied",
                        ex);
            }
            return stage(key, state, lsn, reserved);
        } finally {
            pendingLsn.set(stripe, 0);
            lock.unlock();
        }
    }

    /** Applies a write to staging; returns whether it created the entry (consuming a reserved slot). */
    private boolean stage(K key, Object state, long lsn, boolean reserved) {
        StageOp op = new StageOp(state, lsn, ticker.getAsLong());
        Entry<K> e = staging.compute(key, op);
        if (op.created) {
            if (!reserved) {
                // The entry was stored and removed between our check and the compute; its removal freed the
                // slot we take here, so the bound holds.
                dirty.incrementAndGet();
            }
            enqueueNew(e);
        }
        return op.created;
    }

    private final class StageOp implements BiFunction<K, Entry<K>, Entry<K>> {
        private final Object state;
        private final long lsn;
        private final long now;
        boolean created;

        StageOp(Object state, long lsn, long now) {
            this.state = state;
            this.lsn = lsn;
            this.now = now;
        }

        @Override
        public Entry<K> apply(K k, Entry<K> cur) {
            long seq = writeSeq.incrementAndGet();
            if (cur == null) {
                Entry<K> e = new Entry<>(k);
                e.value = state;
                e.seq = seq;
                e.firstUnstoredSeq = seq;
                e.firstUnstoredLsn = lsn;
                e.dirtySinceNanos = now;
                created = true;
                return e;
            }
            cur.value = state;
            cur.seq = seq;
            if (cur.inFlight && cur.pendingFirstSeq == 0) {
                cur.pendingFirstSeq = seq;
                cur.pendingFirstLsn = lsn;
                cur.pendingSinceNanos = now;
            }
            return cur;
        }
    }

    private void acquireSlot() {
        if (tryReserve()) {
            return;
        }
        long start = ticker.getAsLong();
        long deadline = start + dirtyTimeoutNanos;
        backpressureWaits.incrementAndGet();
        spaceLock.lock();
        try {
            spaceWaiters++;
            try {
                while (!tryReserve()) {
                    if (closing) {
                        throw closedException();
                    }
                    long remaining = deadline - ticker.getAsLong();
                    if (remaining <= 0) {
                        backpressureTimeouts.incrementAndGet();
                        long waited = ticker.getAsLong() - start;
                        notifyListener(() -> listener.onBackpressure(waited, true));
                        Throwable failure = lastStoreFailure;
                        throw new DirtyLimitExceededException("write-back cache '" + name
                                + "' at its dirty bound: " + dirty.get() + " dirty keys (maxDirty=" + maxDirty
                                + "), timed out after " + TimeUnit.NANOSECONDS.toMillis(waited)
                                + " ms (dirtyTimeout=" + TimeUnit.NANOSECONDS.toMillis(dirtyTimeoutNanos)
                                + " ms); the write was not applied"
                                + (storeFailing && failure != null
                                        ? "; the store is failing: " + failure
                                        : "; the store is not keeping up"));
                    }
                    try {
                        space.awaitNanos(remaining);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        throw new CacheException(
                                "write-back cache '" + name + "': interrupted while waiting at the dirty bound", ie);
                    }
                }
            } finally {
                spaceWaiters--;
            }
        } finally {
            spaceLock.unlock();
        }
        long waited = ticker.getAsLong() - start;
        notifyListener(() -> listener.onBackpressure(waited, false));
    }

    private boolean tryReserve() {
        for (; ; ) {
            int c = dirty.get();
            if (c >= maxDirty) {
                return false;
            }
            if (dirty.compareAndSet(c, c + 1)) {
                return true;
            }
        }
    }

    private void releaseSlot() {
        dirty.decrementAndGet();
        if (spaceWaiters > 0) {
            spaceLock.lock();
            try {
                space.signalAll();
            } finally {
                spaceLock.unlock();
            }
        }
    }

    private IllegalStateException closedException() {
        return new IllegalStateException("write-back cache '" + name + "' is closed");
    }

    // ------------------------------------------------------------------ scheduling

    private void enqueueNew(Entry<K> e) {
        sched.lock();
        try {
            e.dueNanos = e.dirtySinceNanos + maxDelayNanos;
            e.queueOrder = ++queueOrder;
            ready.add(e);
            int size = ready.size();
            if (size == 1 || size >= batchSize || maxDelayNanos == 0 || pendingFlushes > 0) {
                work.signal();
            }
        } finally {
            sched.unlock();
        }
    }

    private void schedule(Entry<K> e, long due, boolean retry) {
        sched.lock();
        try {
            e.dueNanos = due;
            e.queueOrder = ++queueOrder;
            (retry ? backoff : ready).add(e);
            work.signal();
        } finally {
            sched.unlock();
        }
    }

    private void runWriter() {
        List<Entry<K>> batch = new ArrayList<>(batchSize);
        while (true) {
            sched.lock();
            try {
                while (true) {
                    if (stopping) {
                        return;
                    }
                    long now = ticker.getAsLong();
                    while (batch.size() < batchSize && !backoff.isEmpty() && backoff.peek().dueNanos - now <= 0) {
                        batch.add(backoff.poll());
                    }
                    boolean force = pendingFlushes > 0 || closing;
                    if (!ready.isEmpty() && (force || ready.size() >= batchSize || ready.peek().dueNanos - now <= 0)) {
                        while (batch.size() < batchSize && !ready.isEmpty()) {
                            batch.add(ready.poll());
                        }
                    }
                    if (!batch.isEmpty()) {
                        break;
                    }
                    long wait = Long.MAX_VALUE;
                    if (!ready.isEmpty()) {
                        wait = ready.peek().dueNanos - now;
                    }
                    if (!backoff.isEmpty()) {
                        wait = Math.min(wait, backoff.peek().dueNanos - now);
                    }
                    try {
                        if (wait == Long.MAX_VALUE) {
                            work.await();
                        } else {
                            work.awaitNanos(wait);
                        }
                    } catch (InterruptedException ie) {
                        // Only close() stops a writer; an interrupt just re-checks.
                    }
                }
            } finally {
                sched.unlock();
            }
            try {
                process(batch);
            } catch (RuntimeException | Error ex) {
                log.error("write-back cache '{}': writer failed on a batch of {} keys", name, batch.size(), ex);
            }
            batch.clear();
        }
    }

    private void process(List<Entry<K>> batch) {
        Map<K, V> puts = new LinkedHashMap<>();
        Set<K> deletes = new LinkedHashSet<>();
        List<Entry<K>> taken = new ArrayList<>(batch.size());
        for (Entry<K> e : batch) {
            boolean[] ok = new boolean[1];
            staging.computeIfPresent(e.key, (k, cur) -> {
                if (cur == e) {
                    cur.inFlight = true;
                    cur.snapSeq = cur.seq;
                    cur.snapValue = cur.value;
                    cur.pendingFirstSeq = 0;
                    ok[0] = true;
                }
                return cur;
            });
            if (!ok[0]) {
                log.error("write-back cache '{}': queued key {} is not staged (bug)", name, e.key);
                continue;
            }
            taken.add(e);
            if (e.snapValue == TOMBSTONE) {
                deletes.add(e.key);
            } else {
                puts.put(e.key, unwrap(e.snapValue));
            }
        }
        Set<Object> failed = new HashSet<>();
        Throwable putFailure = puts.isEmpty() ? null : call(puts.keySet(), () -> store.writeAll(puts), failed);
        Throwable deleteFailure = deletes.isEmpty() ? null : call(deletes, () -> store.deleteAll(deletes), failed);
        long now = ticker.getAsLong();
        List<DeadLetter<K, V>> letters = new ArrayList<>(0);
        for (Entry<K> e : taken) {
            if (failed.contains(e.key)) {
                onFailure(e, e.snapValue == TOMBSTONE ? deleteFailure : putFailure, now, letters);
            } else {
                onSuccess(e);
            }
        }
        for (DeadLetter<K, V> letter : letters) {
            deliver(letter);
        }
        if (pendingFlushes > 0) {
            checkFlushes();
        }
        maybeCheckpoint(false);
        if (closing) {
            sched.lock();
            try {
                progress.signalAll();
            } finally {
                sched.unlock();
            }
        }
    }

    private Throwable call(Collection<K> keys, Runnable op, Set<Object> failed) {
        long start = ticker.getAsLong();
        Throwable failure = null;
        int failedCount = 0;
        try {
            op.run();
        } catch (CacheStoreException ex) {
            failure = ex;
            if (ex.isPartial()) {
                for (Object k : ex.failedKeys()) {
                    if (keys.contains(k) && failed.add(k)) {
                        failedCount++;
                    }
                }
            } else {
                failed.addAll(keys);
                failedCount = keys.size();
            }
        } catch (Throwable t) {
            failure = t;
            failed.addAll(keys);
            failedCount = keys.size();
        }
        long nanos = ticker.getAsLong() - start;
        storeBatches.incrementAndGet();
        maxBatchSize.accumulateAndGet(keys.size(), Math::max);
        storeTotalNanos.addAndGet(nanos);
        storeMaxNanos.accumulateAndGet(nanos, Math::max);
        int failedKeys = failedCount;
        notifyListener(() -> listener.onStoreCall(keys.size(), failedKeys, nanos));
        if (failure != null) {
            storeFailures.incrementAndGet();
            lastStoreFailure = failure;
            if (!storeFailing) {
                storeFailing = true;
                log.warn(
                        "write-back cache '{}': store failed {} of {} keys, retrying with backoff: {}",
                        name,
                        failedCount,
                        keys.size(),
                        failure.toString());
            } else {
                log.debug("write-back cache '{}': store failed {} of {} keys", name, failedCount, keys.size());
            }
        } else if (storeFailing) {
            storeFailing = false;
            log.info("write-back cache '{}': store recovered", name);
        }
        return failure;
    }

    private void onSuccess(Entry<K> e) {
        int stripe = stripe(e.key);
        Entry<K> result = staging.compute(e.key, (k, cur) -> {
            cur.inFlight = false;
            if (cur.seq == cur.snapSeq) {
                versions.incrementAndGet(stripe);
                updateClean(k, cur.snapValue);
                return null;
            }
            promotePending(cur);
            return cur;
        });
        e.attempts = 0;
        e.snapValue = null;
        storedWrites.incrementAndGet();
        if (result == null) {
            releaseSlot();
        } else {
            schedule(e, e.dirtySinceNanos + maxDelayNanos, false);
        }
    }

    /** The snapshot is settled; the writes made while it was in flight become the unstored ones. Bin lock. */
    private static void promotePending(Entry<?> cur) {
        cur.firstUnstoredSeq = cur.pendingFirstSeq;
        cur.firstUnstoredLsn = cur.pendingFirstLsn;
        cur.dirtySinceNanos = cur.pendingSinceNanos;
        cur.pendingFirstSeq = 0;
    }

    private void onFailure(Entry<K> e, Throwable cause, long now, List<DeadLetter<K, V>> letters) {
        int attempt = ++e.attempts;
        boolean exhausted = attempt >= maxAttempts;
        int stripe = stripe(e.key);
        Entry<K> result = staging.compute(e.key, (k, cur) -> {
            cur.inFlight = false;
            if (!exhausted) {
                // Writes made meanwhile coalesce into the retry; firstUnstored* keep the older, lower bounds.
                cur.pendingFirstSeq = 0;
                return cur;
            }
            if (cur.seq == cur.snapSeq) {
                versions.incrementAndGet(stripe);
                updateClean(k, TOMBSTONE);
                return null;
            }
            // Newer writes supersede the abandoned state and get attempts of their own.
            promotePending(cur);
            return cur;
        });
        if (exhausted) {
            Object state = e.snapValue;
            letters.add(new DeadLetter<>(
                    e.key,
                    state == TOMBSTONE ? null : unwrap(state),
                    state == TOMBSTONE,
                    attempt,
                    DeadLetter.Reason.ATTEMPTS_EXHAUSTED,
                    cause));
            e.attempts = 0;
            e.snapValue = null;
            if (result == null) {
                releaseSlot();
            } else {
                schedule(e, e.dirtySinceNanos + maxDelayNanos, false);
            }
        } else {
            long delay = backoffNanos(attempt);
            retries.incrementAndGet();
            notifyListener(() -> listener.onRetry(e.key, attempt, delay, cause));
            e.snapValue = null;
            schedule(e, now + delay, true);
        }
    }

    /**
     * The delay before the next attempt of a key that failed {@code attempt} times in a row.
     *
     * @param attempt the failed attempt, from 1
     * @return nanoseconds, with jitter
     */
    public long backoffNanos(int attempt) {
        long d = backoffInitialNanos;
        for (int i = 1; i < attempt && d < backoffMaxNanos; i++) {
            d = d > backoffMaxNanos / 2 ? backoffMaxNanos : d * 2;
        }
        d = Math.min(d, backoffMaxNanos);
        if (d <= 1) {
            return d;
        }
        // Equal jitter: half fixed, half random, so retries of keys failed together spread out.
        long half = d / 2;
        return half + ThreadLocalRandom.current().nextLong(d - half + 1);
    }

    /** Runs a listener callback; a listener that throws is logged, never allowed to stall a writer. */
    private void notifyListener(Runnable callback) {
        if (listener == NO_LISTENER) {
            return;
        }
        try {
            callback.run();
        } catch (RuntimeException ex) {
            log.warn("write-back cache '{}': listener failed: {}", name, ex.toString());
        }
    }

    /** Updates the clean cache under the key's bin lock; its failure must not leave the entry in flight. */
    private void updateClean(K key, Object state) {
        try {
            if (state == TOMBSTONE) {
                clean.invalidate(key);
            } else {
                clean.put(key, unwrap(state));
            }
        } catch (RuntimeException ex) {
            log.warn("write-back cache '{}': clean cache update of key {} failed: {}", name, key, ex.toString());
        }
    }

    private void deliver(DeadLetter<K, V> letter) {
        deadLetters.incrementAndGet();
        notifyListener(() -> listener.onDeadLetter(letter));
        try {
            deadLetterHandler.onDeadLetter(letter);
        } catch (RuntimeException ex) {
            log.error("write-back cache '{}': dead-letter handler failed for key {}", name, letter.key(), ex);
        }
    }

    // ------------------------------------------------------------------ flush and checkpoint

    @Override
    public CompletableFuture<Void> flush() {
        if (closed.get()) {
            throw closedException();
        }
        flushes.incrementAndGet();
        return flush0();
    }

    private CompletableFuture<Void> flush0() {
        CompletableFuture<Void> future = new CompletableFuture<>();
        long target = writeSeq.get();
        sched.lock();
        try {
            flushRequests.add(new FlushRequest(target, future));
            pendingFlushes = flushRequests.size();
            work.signalAll();
        } finally {
            sched.unlock();
        }
        checkFlushes();
        return future;
    }

    private void checkFlushes() {
        long min = Long.MAX_VALUE;
        for (Entry<K> e : staging.values()) {
            min = Math.min(min, e.firstUnstoredSeq);
        }
        List<CompletableFuture<Void>> done = new ArrayList<>();
        sched.lock();
        try {
            for (Iterator<FlushRequest> it = flushRequests.iterator(); it.hasNext(); ) {
                FlushRequest r = it.next();
                if (r.target() < min) {
                    done.add(r.future());
                    it.remove();
                }
            }
            pendingFlushes = flushRequests.size();
        } finally {
            sched.unlock();
        }
        if (!done.isEmpty()) {
            maybeCheckpoint(true);
            for (CompletableFuture<Void> f : done) {
                f.complete(null);
            }
        }
    }

    private long replay() {
        long[] count = new long[1];
        journal.replay(journal.checkpointLsn() + 1, tx -> {
            for (java.nio.ByteBuffer record : tx.records()) {
                JournalCodec.Write<K, V> w = journalCodec.decode(record);
                stage(w.key(), w.value() == null ? TOMBSTONE : w.value(), tx.lsn(), false);
                count[0]++;
            }
        });
        writes.add(count[0]);
        return count[0];
    }

    private void maybeCheckpoint(boolean force) {
        if (journal == null) {
            return;
        }
        long now = ticker.getAsLong();
        if (force) {
            checkpointLock.lock();
        } else if (!checkpointLock.tryLock()) {
            return;
        }
        try {
            if (!force && now - lastCheckpointNanos < CHECKPOINT_INTERVAL_NANOS) {
                return;
            }
            long bound = journal.lastLsn();
            long low = Long.MAX_VALUE;
            for (int i = 0; i < STRIPES; i++) {
                long p = pendingLsn.get(i);
                if (p != 0) {
                    low = Math.min(low, p);
                }
            }
            for (Entry<K> e : staging.values()) {
                long l = e.firstUnstoredLsn;
                if (l != 0) {
                    low = Math.min(low, l);
                }
            }
            long checkpoint = low == Long.MAX_VALUE ? bound : Math.min(bound, low - 1);
            if (checkpoint > lastCheckpointLsn) {
                journal.checkpoint(checkpoint);
                lastCheckpointLsn = checkpoint;
            }
            lastCheckpointNanos = now;
        } catch (RuntimeException ex) {
            log.warn("write-back cache '{}': journal checkpoint failed (will retry): {}", name, ex.toString());
        } finally {
            checkpointLock.unlock();
        }
    }

    // ------------------------------------------------------------------ lifecycle and metrics

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closing = true;
        long deadline = ticker.getAsLong() + closeTimeoutNanos;
        spaceLock.lock();
        try {
            space.signalAll();
        } finally {
            spaceLock.unlock();
        }
        while (activeWrites.get() > 0 && ticker.getAsLong() - deadline < 0) {
            Thread.yield();
        }
        CompletableFuture<Void> all = flush0();
        sched.lock();
        try {
            while (!all.isDone()) {
                long remaining = deadline - ticker.getAsLong();
                if (remaining <= 0) {
                    break;
                }
                try {
                    progress.awaitNanos(remaining);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            stopping = true;
            work.signalAll();
        } finally {
            sched.unlock();
        }
        boolean writersDone = true;
        for (Thread t : writers) {
            long remainingMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - ticker.getAsLong()));
            try {
                t.join(Math.min(remainingMillis, 1000));
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            writersDone &= !t.isAlive();
        }
        List<Entry<K>> left = new ArrayList<>(staging.values());
        List<Object> keys = new ArrayList<>(left.size());
        for (Entry<K> e : left) {
            keys.add(e.key);
        }
        String where;
        if (journal != null) {
            if (writersDone) {
                maybeCheckpoint(true);
            }
            journal.close();
            where = "they stay in the journal and are replayed to the store at the next open";
        } else {
            for (Entry<K> e : left) {
                Object state = e.value;
                deliver(new DeadLetter<>(
                        e.key,
                        state == TOMBSTONE ? null : unwrap(state),
                        state == TOMBSTONE,
                        e.attempts,
                        DeadLetter.Reason.CLOSED,
                        lastStoreFailure));
            }
            where = "they were handed to the dead-letter handler (no journal)";
        }
        if (!all.isDone()) {
            all.completeExceptionally(closedException());
        }
        failPendingFlushes();
        if (!left.isEmpty()) {
            List<Object> sample = keys.subList(0, Math.min(10, keys.size()));
            throw new UnstoredWritesException(
                    "write-back cache '" + name + "' closed with " + left.size() + " unstored write(s) after "
                            + TimeUnit.NANOSECONDS.toMillis(closeTimeoutNanos) + " ms (closeTimeout); " + where
                            + "; keys: " + sample + (keys.size() > sample.size() ? " ..." : ""),
                    keys);
        }
        log.info("write-back cache '{}' closed, every write stored", name);
    }

    private void failPendingFlushes() {
        List<FlushRequest> pending;
        sched.lock();
        try {
            pending = new ArrayList<>(flushRequests);
            flushRequests.clear();
            pendingFlushes = 0;
        } finally {
            sched.unlock();
        }
        for (FlushRequest r : pending) {
            r.future().completeExceptionally(closedException());
        }
    }

    @Override
    public long dirtyCount() {
        return staging.size();
    }

    @Override
    public WriteBackMetrics metrics() {
        long now = ticker.getAsLong();
        long oldest = 0;
        for (Entry<K> e : staging.values()) {
            oldest = Math.max(oldest, now - e.dirtySinceNanos);
        }
        return new WriteBackMetrics(
                staging.size(),
                oldest,
                writes.sum(),
                storedWrites.get(),
                storeBatches.get(),
                maxBatchSize.get(),
                storeFailures.get(),
                storeTotalNanos.get(),
                storeMaxNanos.get(),
                retries.get(),
                deadLetters.get(),
                flushes.get(),
                backpressureWaits.get(),
                backpressureTimeouts.get(),
                replayedWrites);
    }

    /** Wakes every waiting writer and blocked write so they re-read the ticker (for tests with a fake ticker). */
    public void wakeUp() {
        sched.lock();
        try {
            work.signalAll();
            progress.signalAll();
        } finally {
            sched.unlock();
        }
        spaceLock.lock();
        try {
            space.signalAll();
        } finally {
            spaceLock.unlock();
        }
    }

    private static int stripe(Object key) {
        int h = key.hashCode();
        h ^= h >>> 16;
        h *= 0x9E3779B1;
        return (h >>> 24) & (STRIPES - 1);
    }

    @Override
    public String toString() {
        return "WriteBackCache[" + name + ", dirty=" + staging.size() + "]";
    }
}
