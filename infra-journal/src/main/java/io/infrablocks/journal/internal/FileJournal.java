package io.infrablocks.journal.internal;

import io.infrablocks.journal.CommittedTransaction;
import io.infrablocks.journal.Durability;
import io.infrablocks.journal.Journal;
import io.infrablocks.journal.JournalConfig;
import io.infrablocks.journal.JournalException;
import io.infrablocks.journal.JournalListener;
import io.infrablocks.journal.JournalMetrics;
import io.infrablocks.journal.Transaction;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Design. A write-ahead log in the classic style (ARIES-like redo-only logging, as in PostgreSQL's WAL and
 * BookKeeper's journal): transactions are buffered by their builder and written, whole and contiguous, as
 * DATA records followed by one COMMIT record (format: SegmentFormat). A transaction's LSN is assigned when it
 * is written, so file order = LSN order = commit order, and recovery keeps exactly the transactions whose
 * COMMIT record survived.
 *
 * Durability:
 *  - SYNC uses group commit with one writer thread (BookKeeper's journal thread, PostgreSQL's group commit):
 *    committers enqueue a Pending on a lock-free MPSC queue and wait on its future; the writer drains the
 *    queue, encodes the batch into one buffer, writes it, forces once (fdatasync), publishes the new end and
 *    completes the futures. While a force is in progress, new committers accumulate, so the batch size adapts
 *    to the load. The writer also waits up to groupCommitMaxWait for more committers, but only while the batch
 *    is smaller than the previous one (the observed concurrency) and below groupCommitMaxBytes, so a lone
 *    committer never waits.
 *  - PERIODIC and NONE write on the committing thread under `lock` (one write syscall per commit, no hand-off);
 *    PERIODIC adds a flusher thread forcing every interval.
 *  - Preallocation (default, measured faster) zero-fills the active segment ahead of the writer in 1 MiB steps,
 *    so most fdatasyncs find the file size unchanged and skip the metadata update, without the stall of
 *    zero-filling a whole 64 MiB segment at a roll.
 *
 * Concurrency invariants:
 *  - `lock` guards the active segment (channel, base, position), the encode buffer, the LSN counter and the
 *    segment list. In SYNC mode only the writer thread writes; it forces outside the lock (force and write of
 *    one FileChannel may run concurrently) and then publishes under the lock.
 *  - `published` (volatile, immutable snapshot) is what readers may see: segments, the active segment's base,
 *    the end of readable data in it and the last visible LSN. It only moves forward. In SYNC mode it is moved
 *    after the force, so replay and tail never see a commit that is not durable.
 *  - `failure` (volatile) is set once on the first I/O error; the journal then refuses every commit
 *    (fail-stop: after a failed fsync, what reached the disk is unknown).
 *  - `closed` (AtomicBoolean): set once; a committer re-checks it after enqueueing and withdraws its entry,
 *    so no commit is left without an answer.
 *  - A segment is rolled only between transactions, after forcing the old one, so damage in any but the last
 *    segment is corruption, never a torn tail.
 *
 * Complexity: commit O(bytes) encoding + one write (+ one shared force in SYNC); replay O(bytes read);
 * recovery O(bytes after the checkpoint); checkpoint O(segments deleted).
 */

/**
 * The file-based {@link Journal}: segment files in one directory, group commit, crash recovery. Obtain it with
 * {@link Journal#open(Path, JournalConfig)}.
 */
public final class FileJournal implements Journal {

    private static final Logger LOG = LoggerFactory.getLogger(FileJournal.class);
    private static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** What readers may see; immutable. */
    private record Published(List<Recovery.Segment> segments, long activeBase, long activeEnd, long lastLsn) {}

    /** A transaction waiting for the SYNC writer. */
    private static final class Pending {
        final byte[][] records;
        final long size;
        final CompletableFuture<Long> future = new CompletableFuture<>();
        long lsn;

        Pending(byte[][] records, long size) {
            this.records = records;
            this.size = size;
        }
    }

    private final Path dir;
    private final JournalConfig config;
    private final ChannelFactory channels;
    private final String name;
    private final boolean sync;
    private final long segmentSize;
    private final FileChannel lockChannel;
    private final FileLock fileLock;
    private final ThreadFactory threadFactory;
    private final JournalListener listener;

    private final ReentrantLock lock = new ReentrantLock();
    // guarded by lock
    private FileChannel active;
    private Path activePath;
    private long activeBase;
    private long position; // file offset where the encode buffer's first byte goes
    private long allocatedEnd; // size of the active segment file (zero-filled beyond position when preallocating)
    private long lastAssigned;
    private final List<Recovery.Segment> segments = new ArrayList<>();
    private List<Recovery.Segment> segmentsView = List.of(); // immutable copy of segments
    private ByteBuffer buf;
    private final CRC32C crc = new CRC32C();

    private volatile Published published;
    private volatile long checkpointLsn;
    private volatile JournalException failure;
    private volatile int segmentCount;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ReentrantLock checkpointLock = new ReentrantLock();

    // SYNC group commit
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private volatile boolean writerWaiting;
    private Thread writer;
    private final long maxWaitNanos;
    private final long maxBatchBytes;

    // PERIODIC
    private Thread flusher;

    // tailers
    private final ReentrantLock tailLock = new ReentrantLock();
    private final Condition tailCond = tailLock.newCondition();
    private final CopyOnWriteArraySet<Tailer> tailers = new CopyOnWriteArraySet<>();

    // metrics
    private final LongAdder commits = new LongAdder();
    private final LongAdder aborts = new LongAdder();
    private final LongAdder records = new LongAdder();
    private final LongAdder bytesWritten = new LongAdder();
    private final LongAdder forces = new LongAdder();

    private FileJournal(
            Path dir, JournalConfig config, ChannelFactory channels, FileChannel lockChannel, FileLock fileLock) {
        this.dir = dir;
        this.config = config;
        this.channels = channels;
        this.name = config.name();
        this.sync = config.durability().kind() == Durability.Kind.SYNC;
        this.segmentSize = config.segmentSize();
        this.lockChannel = lockChannel;
        this.fileLock = fileLock;
        this.maxWaitNanos = config.groupCommitMaxWait().toNanos();
        this.maxBatchBytes = config.groupCommitMaxBytes();
        this.listener = config.listener();
        this.threadFactory = config.threadFactory() != null ? config.threadFactory() : defaultThreadFactory(name);
        int capacity = Math.min(Math.max(config.groupCommitMaxBytes(), 64 << 10), 16 << 20);
        this.buf = ByteBuffer.allocateDirect(capacity);
    }

    private static ThreadFactory defaultThreadFactory(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "infra-journal-" + name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Opens the journal in {@code directory}.
     *
     * @param directory the directory
     * @param config the configuration
     * @return the journal
     */
    public static Journal open(Path directory, JournalConfig config) {
        return open(directory, config, ChannelFactory.DEFAULT);
    }

    /**
     * Opens the journal in {@code directory}, opening its writable files through {@code channels}.
     *
     * @param directory the directory
     * @param config the configuration
     * @param channels opens the segment and checkpoint files
     * @return the journal
     */
    public static FileJournal open(Path directory, JournalConfig config, ChannelFactory channels) {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(channels, "channels");
        FileChannel lockChannel = null;
        FileLock fileLock;
        try {
            Files.createDirectories(directory);
            lockChannel = FileChannel.open(
                    directory.resolve(SegmentFormat.LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                fileLock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                fileLock = null;
            }
            if (fileLock == null) {
                throw new JournalException("journal directory " + directory
                        + " is locked: another process (or another journal in this process) has it open");
            }
        } catch (IOException e) {
            closeQuietly(lockChannel);
            throw new JournalException("cannot open journal directory " + directory + ": " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(lockChannel);
            throw e;
        }
        FileJournal j = new FileJournal(directory, config, channels, lockChannel, fileLock);
        try {
            j.recover();
        } catch (IOException e) {
            j.releaseLock();
            throw new JournalException("cannot recover journal in " + directory + ": " + e, e);
        } catch (RuntimeException e) {
            j.releaseLock();
            throw e;
        }
        j.startThreads();
        return j;
    }

    private void recover() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SegmentFormat.TEMP_SUFFIX)) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
            }
        }
        Recovery.Plan plan = Recovery.analyze(dir, config.recoveryMode(), null);
        for (String w : plan.warnings()) {
            LOG.warn("journal '{}': {}", name, w);
        }
        for (Recovery.Cut cut : plan.cuts()) {
            try (FileChannel ch = channels.open(cut.path(), StandardOpenOption.WRITE)) {
                ch.truncate(cut.offset());
                ch.force(true);
            }
            if (listener != null) {
                listener.onRecoveryCut(cut.path(), cut.offset(), cut.reason());
            }
        }
        for (Path p : plan.delete()) {
            Files.deleteIfExists(p);
        }
        checkpointLsn = plan.checkpointLsn();
        long last = Math.max(plan.lastLsn(), plan.checkpointLsn());
        List<Recovery.Segment> live = new ArrayList<>(plan.live());
        if (!live.isEmpty() && plan.lastLsn() < plan.checkpointLsn()) {
            LOG.warn(
                    "journal '{}': recovered LSN {} is below the checkpoint {}; starting after the checkpoint",
                    name,
                    plan.lastLsn(),
                    plan.checkpointLsn());
            for (Recovery.Segment s : live) {
                Files.deleteIfExists(s.path());
            }
            live.clear();
        }
        if (!plan.delete().isEmpty() || !plan.cuts().isEmpty()) {
            SegmentFormat.forceDirectory(dir);
        }
        lastAssigned = last;
        if (live.isEmpty()) {
            long base = last + 1;
            Path p = SegmentFormat.createSegment(channels, dir, base, initialAllocation());
            live.add(new Recovery.Segment(base, p));
            position = SegmentFormat.SEGMENT_HEADER;
        } else {
            position = plan.activeEnd();
        }
        segments.addAll(live);
        Recovery.Segment tail = live.get(live.size() - 1);
        activeBase = tail.base();
        activePath = tail.path();
        active = channels.open(activePath, StandardOpenOption.WRITE);
        allocatedEnd = active.size();
        segmentsChanged();
        published = new Published(segmentsView, activeBase, position, lastAssigned);
        LOG.info(
                "journal '{}' opened in {}: {} segment(s), last LSN {}, checkpoint LSN {}, {}",
                name,
                dir,
                segments.size(),
                lastAssigned,
                checkpointLsn,
                config.durability());
    }

    private void startThreads() {
        if (sync) {
            writer = threadFactory.newThread(this::writerLoop);
            writer.start();
        } else if (config.durability().kind() == Durability.Kind.PERIODIC) {
            flusher = threadFactory.newThread(this::flusherLoop);
            flusher.start();
        }
    }

    // ---------------------------------------------------------------------------------------------- commit

    @Override
    public Transaction begin() {
        checkOpen();
        return new Tx();
    }

    @Override
    public long append(byte[] record) {
        Objects.requireNonNull(record, "record");
        checkRecordSize(record.length);
        return commitNow(
                new byte[][] {record}, SegmentFormat.dataRecordSize(record.length) + SegmentFormat.COMMIT_RECORD);
    }

    private void checkRecordSize(int length) {
        if (length > config.maxRecordSize()) {
            throw new IllegalArgumentException("record of " + length + " bytes exceeds maxRecordSize "
                    + config.maxRecordSize() + " of journal '" + name + "'");
        }
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("journal '" + name + "' is closed");
        }
    }

    private JournalException closedBeforeCommit() {
        return new JournalException("journal '" + name + "' was closed before the commit was written");
    }

    private long commitNow(byte[][] recs, long size) {
        if (sync) {
            return await(submit(recs, size));
        }
        return commitInline(recs, size);
    }

    private CompletableFuture<Long> commitLater(byte[][] recs, long size) {
        if (sync) {
            return submit(recs, size);
        }
        try {
            return CompletableFuture.completedFuture(commitInline(recs, size));
        } catch (JournalException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static long await(CompletableFuture<Long> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof JournalException je) {
                throw new JournalException(je.getMessage(), je);
            }
            throw new JournalException("commit failed: " + e.getCause(), e.getCause());
        }
    }

    private CompletableFuture<Long> submit(byte[][] recs, long size) {
        checkOpen();
        JournalException f = failure;
        if (f != null) {
            return CompletableFuture.failedFuture(f);
        }
        Pending p = new Pending(recs, size);
        queue.offer(p);
        if (writerWaiting) {
            LockSupport.unpark(writer);
        }
        if (closed.get() && queue.remove(p)) {
            p.future.completeExceptionally(closedBeforeCommit());
        } else if (failure != null && queue.remove(p)) {
            p.future.completeExceptionally(failure); // the writer stopped after a failure
        }
        return p.future;
    }

    private long commitInline(byte[][] recs, long size) {
        checkOpen();
        long lsn;
        lock.lock();
        try {
            checkOpen(); // close() takes the lock before closing the channel
            JournalException f = failure;
            if (f != null) {
                throw f;
            }
            try {
                lsn = ++lastAssigned;
                encode(recs, size, lsn);
                flushBuffer();
            } catch (IOException | RuntimeException e) {
                throw fail("write", e);
            }
            published = new Published(segmentsView, activeBase, position, lsn);
            countCommit(recs.length);
        } finally {
            lock.unlock();
        }
        signalTailers();
        return lsn;
    }

    private void countCommit(int recordCount) {
        commits.increment();
        records.add(recordCount);
    }

    /** Encodes one transaction into the buffer, rolling the segment first if it does not fit. Under lock. */
    private void encode(byte[][] recs, long size, long lsn) throws IOException {
        long end = position + buf.position();
        if (end + size > segmentSize && end > SegmentFormat.SEGMENT_HEADER) {
            roll(lsn);
        }
        if (size > buf.remaining()) {
            flushBuffer();
            if (size > buf.capacity()) {
                ByteBuffer big = ByteBuffer.allocate(Math.toIntExact(size));
                encodeInto(big, recs, lsn);
                big.flip();
                writeAtPosition(big);
                return;
            }
        }
        encodeInto(buf, recs, lsn);
    }

    private void encodeInto(ByteBuffer out, byte[][] recs, long lsn) {
        for (byte[] r : recs) {
            SegmentFormat.putData(out, lsn, r, crc);
        }
        SegmentFormat.putCommit(out, lsn, recs.length, crc);
    }

    /** Writes the encode buffer at the current position. Under lock. */
    private void flushBuffer() throws IOException {
        if (buf.position() == 0) {
            return;
        }
        buf.flip();
        writeAtPosition(buf);
        buf.clear();
    }

    /**
     * Writes {@code b} at the end of the active segment; when preallocating, zero-fills ahead of it in chunks so
     * that most forces find the file size unchanged. Under lock.
     */
    private void writeAtPosition(ByteBuffer b) throws IOException {
        int n = b.remaining();
        long end = position + n;
        SegmentFormat.writeFully(active, b, position);
        if (config.preallocate() && end > allocatedEnd) {
            long newEnd = SegmentFormat.roundUp(end, preallocationChunk());
            SegmentFormat.zeroFill(active, end, newEnd);
            allocatedEnd = newEnd;
        }
        position = end;
        bytesWritten.add(n);
    }

    private long preallocationChunk() {
        return Math.min(
                SegmentFormat.PREALLOCATION_CHUNK,
                SegmentFormat.roundUp(segmentSize, SegmentFormat.PREALLOCATION_UNIT));
    }

    /** The size a new segment file is created with. */
    private long initialAllocation() {
        return config.preallocate() ? preallocationChunk() : 0;
    }

    /** Forces and closes the active segment and starts a new one at {@code baseLsn}. Under lock. */
    private void roll(long baseLsn) throws IOException {
        flushBuffer();
        active.force(false);
        forces.increment();
        active.close();
        Path p = SegmentFormat.createSegment(channels, dir, baseLsn, initialAllocation());
        active = channels.open(p, StandardOpenOption.WRITE);
        activePath = p;
        activeBase = baseLsn;
        position = SegmentFormat.SEGMENT_HEADER;
        allocatedEnd = active.size();
        segments.add(new Recovery.Segment(baseLsn, p));
        segmentsChanged();
    }

    /** Under lock. */
    private void segmentsChanged() {
        segmentsView = List.copyOf(segments);
        segmentCount = segments.size();
    }

    private JournalException fail(String what, Throwable e) {
        JournalException f = failure;
        if (f == null) {
            f = new JournalException(
                    "journal '" + name + "' failed to " + what + " " + activePath + " at offset " + position
                            + "; it accepts no more commits: " + e,
                    e);
            failure = f;
            LOG.error("journal '{}': {}", name, f.getMessage());
        }
        return f;
    }

    // ------------------------------------------------------------------------------------ SYNC group commit

    private void writerLoop() {
        try {
            groupCommitLoop();
        } catch (Throwable t) {
            lock.lock();
            try {
                fail("run the group-commit writer for", t);
            } finally {
                lock.unlock();
            }
            Pending p;
            while ((p = queue.poll()) != null) {
                p.future.completeExceptionally(failure);
            }
            throw t;
        }
    }

    private void groupCommitLoop() {
        List<Pending> batch = new ArrayList<>();
        int expected = 1;
        while (true) {
            Pending p = queue.poll();
            if (p == null) {
                if (closed.get()) {
                    break;
                }
                writerWaiting = true;
                if (queue.isEmpty() && !closed.get()) {
                    LockSupport.park(this);
                }
                writerWaiting = false;
                continue;
            }
            batch.add(p);
            long bytes = p.size;
            while (bytes < maxBatchBytes && (p = queue.poll()) != null) {
                batch.add(p);
                bytes += p.size;
            }
            if (maxWaitNanos > 0 && batch.size() < expected && bytes < maxBatchBytes) {
                long deadline = System.nanoTime() + maxWaitNanos;
                while (batch.size() < expected && bytes < maxBatchBytes) {
                    p = queue.poll();
                    if (p != null) {
                        batch.add(p);
                        bytes += p.size;
                        continue;
                    }
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0 || closed.get()) {
                        break;
                    }
                    writerWaiting = true;
                    if (queue.isEmpty()) {
                        LockSupport.parkNanos(this, remaining);
                    }
                    writerWaiting = false;
                }
            }
            expected = batch.size();
            writeBatch(batch);
            batch.clear();
        }
    }

    private void writeBatch(List<Pending> batch) {
        try {
            writeAndForce(batch);
        } catch (Throwable t) {
            JournalException e = new JournalException("journal '" + name + "': group commit failed: " + t, t);
            for (Pending p : batch) {
                p.future.completeExceptionally(e);
            }
            throw t;
        }
    }

    private void writeAndForce(List<Pending> batch) {
        JournalException error = failure;
        FileChannel ch = null;
        long end = 0;
        long last = 0;
        if (error == null) {
            lock.lock();
            try {
                for (Pending p : batch) {
                    p.lsn = ++lastAssigned;
                    encode(p.records, p.size, p.lsn);
                }
                flushBuffer();
                ch = active;
                end = position;
                last = lastAssigned;
            } catch (IOException | RuntimeException e) {
                error = fail("write", e);
            } finally {
                lock.unlock();
            }
        }
        long forceNanos = 0;
        if (error == null) {
            try {
                long t0 = listener != null ? System.nanoTime() : 0;
                ch.force(false);
                forces.increment();
                if (listener != null) {
                    forceNanos = System.nanoTime() - t0;
                }
            } catch (IOException | RuntimeException e) {
                lock.lock();
                try {
                    error = fail("force", e);
                } finally {
                    lock.unlock();
                }
            }
        }
        if (error != null) {
            for (Pending p : batch) {
                p.future.completeExceptionally(error);
            }
            return;
        }
        lock.lock();
        try {
            published = new Published(segmentsView, activeBase, end, last);
        } finally {
            lock.unlock();
        }
        if (listener != null) {
            long sum = 0;
            for (Pending p : batch) {
                sum += p.size;
            }
            long bytes = sum;
            long took = forceNanos;
            int transactions = batch.size();
            notifyListener(() -> listener.onGroupCommit(transactions, bytes, took));
        }
        for (Pending p : batch) {
            countCommit(p.records.length);
            p.future.complete(p.lsn);
        }
        signalTailers();
    }

    private void notifyListener(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.warn("journal '{}': listener failed: {}", name, e.toString());
        }
    }

    // ------------------------------------------------------------------------------------------- PERIODIC

    private void flusherLoop() {
        long interval = config.durability().interval().toNanos();
        long next = System.nanoTime() + interval;
        while (!closed.get()) {
            long remaining = next - System.nanoTime();
            if (remaining > 0) {
                LockSupport.parkNanos(this, remaining);
                continue;
            }
            next += interval;
            if (failure == null) {
                try {
                    forceActive();
                } catch (JournalException e) {
                    // already recorded as the journal's failure
                }
            }
        }
    }

    /** Forces what is written to the active segment (earlier segments were forced when rolled). */
    private void forceActive() {
        FileChannel ch;
        lock.lock();
        try {
            ch = active;
        } finally {
            lock.unlock();
        }
        try {
            ch.force(false);
            forces.increment();
        } catch (ClosedChannelException e) {
            // rolled meanwhile: the roll forced it
        } catch (IOException e) {
            lock.lock();
            try {
                throw fail("force", e);
            } finally {
                lock.unlock();
            }
        }
    }

    // ------------------------------------------------------------------------------------ replay and tail

    @Override
    public void replay(long fromLsn, Consumer<CommittedTransaction> consumer) {
        Objects.requireNonNull(consumer, "consumer");
        checkOpen();
        try (Cursor c = new Cursor(fromLsn)) {
            c.read(published, consumer);
        } catch (IOException e) {
            throw new JournalException("journal '" + name + "': replay failed: " + e, e);
        }
    }

    @Override
    public AutoCloseable tail(long fromLsn, Consumer<CommittedTransaction> consumer) {
        Objects.requireNonNull(consumer, "consumer");
        checkOpen();
        Tailer t = new Tailer(fromLsn, consumer);
        tailers.add(t);
        t.thread = threadFactory.newThread(t::run);
        t.thread.start();
        return t;
    }

    private void signalTailers() {
        if (!tailers.isEmpty()) {
            tailLock.lock();
            try {
                tailCond.signalAll();
            } finally {
                tailLock.unlock();
            }
        }
    }

    /** Follows the journal on its own thread. */
    private final class Tailer implements AutoCloseable {
        final long fromLsn;
        final Consumer<CommittedTransaction> consumer;
        volatile boolean stopped;
        Thread thread;

        Tailer(long fromLsn, Consumer<CommittedTransaction> consumer) {
            this.fromLsn = fromLsn;
            this.consumer = consumer;
        }

        void run() {
            try (Cursor c = new Cursor(fromLsn)) {
                while (!stopped && !closed.get()) {
                    c.read(published, consumer);
                    tailLock.lock();
                    try {
                        while (!stopped && !closed.get() && published.lastLsn() < c.next) {
                            tailCond.await(100, TimeUnit.MILLISECONDS);
                        }
                    } finally {
                        tailLock.unlock();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException | RuntimeException e) {
                LOG.warn("journal '{}': tailer from LSN {} stopped: {}", name, fromLsn, e.toString());
            } finally {
                tailers.remove(this);
            }
        }

        @Override
        public void close() {
            stopped = true;
            tailLock.lock();
            try {
                tailCond.signalAll();
            } finally {
                tailLock.unlock();
            }
            if (thread != Thread.currentThread()) {
                try {
                    thread.join(TimeUnit.NANOSECONDS.toMillis(CLOSE_WAIT_NANOS));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Reads committed transactions across segments, resuming where it stopped. */
    private final class Cursor implements AutoCloseable {
        long next;
        SegmentReader reader;
        long readerBase = -1;
        final List<ByteBuffer> pending = new ArrayList<>();

        Cursor(long fromLsn) {
            this.next = Math.max(1, fromLsn);
        }

        void read(Published p, Consumer<CommittedTransaction> consumer) throws IOException {
            while (next <= p.lastLsn()) {
                if (reader == null && !openSegment(p)) {
                    return;
                }
                boolean isActive = readerBase == p.activeBase();
                long limit = isActive ? p.activeEnd() : reader.size();
                SegmentReader.Status st;
                while ((st = reader.next(limit)) == SegmentReader.Status.RECORD) {
                    long lsn = reader.lsn();
                    if (lsn < next) {
                        continue;
                    }
                    if (reader.type() == SegmentFormat.DATA) {
                        pending.add(ByteBuffer.wrap(reader.payload()).asReadOnlyBuffer());
                    } else {
                        CommittedTransaction tx = new CommittedTransaction(lsn, pending);
                        pending.clear();
                        next = lsn + 1;
                        consumer.accept(tx);
                    }
                }
                if (isActive) {
                    if (st != SegmentReader.Status.END) {
                        throw new io.infrablocks.journal.JournalCorruptedException(
                                reader.path(), reader.position(), reader.problem());
                    }
                    return;
                }
                if (st == SegmentReader.Status.BAD || st == SegmentReader.Status.TORN) {
                    throw new io.infrablocks.journal.JournalCorruptedException(
                            reader.path(), reader.position(), reader.problem());
                }
                // a closed segment is read to its end; move to the next one
                pending.clear();
                long after = readerBase;
                closeReader();
                Recovery.Segment following = null;
                for (Recovery.Segment s : p.segments()) {
                    if (s.base() > after) {
                        following = s;
                        break;
                    }
                }
                if (following == null || following.base() > p.activeBase()) {
                    return;
                }
                next = Math.max(next, following.base());
                openAt(following); // when it was deleted meanwhile, openSegment picks the next one
            }
        }

        private boolean openSegment(Published p) throws IOException {
            List<Recovery.Segment> segs = p.segments();
            int idx = 0;
            for (int i = 0; i < segs.size(); i++) {
                if (segs.get(i).base() <= next) {
                    idx = i;
                }
            }
            for (int i = idx; i < segs.size(); i++) {
                if (segs.get(i).base() > p.activeBase()) {
                    return false;
                }
                next = Math.max(next, segs.get(i).base());
                if (openAt(segs.get(i))) {
                    return true;
                }
            }
            return false;
        }

        private boolean openAt(Recovery.Segment s) throws IOException {
            try {
                reader = SegmentReader.open(s.path(), s.base());
                readerBase = s.base();
                return true;
            } catch (NoSuchFileException e) {
                return false; // deleted by a checkpoint: those transactions are no longer available
            }
        }

        private void closeReader() throws IOException {
            if (reader != null) {
                reader.close();
                reader = null;
                readerBase = -1;
            }
        }

        @Override
        public void close() throws IOException {
            closeReader();
        }
    }

    // ----------------------------------------------------------------------------------------- checkpoint

    @Override
    public void checkpoint(long lsn) {
        checkOpen();
        if (lsn < 0) {
            throw new IllegalArgumentException("lsn must be >= 0 but was " + lsn);
        }
        checkpointLock.lock();
        try {
            long last = lastLsn();
            if (lsn > last) {
                throw new IllegalArgumentException(
                        "lsn must be <= lastLsn " + last + " of journal '" + name + "' but was " + lsn);
            }
            if (lsn <= checkpointLsn) {
                return;
            }
            if (!sync) {
                forceActive();
            }
            List<Path> deletable = new ArrayList<>();
            try {
                SegmentFormat.writeCheckpoint(channels, dir, lsn);
                checkpointLsn = lsn;
                lock.lock();
                try {
                    while (segments.size() > 1 && segments.get(1).base() - 1 <= lsn) {
                        deletable.add(segments.remove(0).path());
                    }
                    segmentsChanged();
                } finally {
                    lock.unlock();
                }
                for (Path p : deletable) {
                    Files.deleteIfExists(p);
                }
                if (!deletable.isEmpty()) {
                    SegmentFormat.forceDirectory(dir);
                }
                if (listener != null) {
                    int deleted = deletable.size();
                    notifyListener(() -> listener.onCheckpoint(lsn, deleted));
                }
            } catch (IOException e) {
                throw new JournalException("journal '" + name + "': checkpoint at LSN " + lsn + " failed: " + e, e);
            }
        } finally {
            checkpointLock.unlock();
        }
    }

    @Override
    public long checkpointLsn() {
        return checkpointLsn;
    }

    @Override
    public long lastLsn() {
        return published.lastLsn();
    }

    @Override
    public JournalMetrics metrics() {
        return new JournalMetrics(
                commits.sum(),
                aborts.sum(),
                records.sum(),
                bytesWritten.sum(),
                forces.sum(),
                segmentCount,
                published.lastLsn(),
                checkpointLsn);
    }

    /**
     * The journal's directory.
     *
     * @return the path
     */
    public Path directory() {
        return dir;
    }

    @Override
    public String toString() {
        return "FileJournal[" + name + ", " + dir + ", lastLsn=" + lastLsn() + "]";
    }

    // ------------------------------------------------------------------------------------------------ close

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        List<String> unfinished = new ArrayList<>();
        if (writer != null) {
            LockSupport.unpark(writer);
            join(writer, unfinished, "group-commit writer");
            Pending p;
            while ((p = queue.poll()) != null) {
                p.future.completeExceptionally(closedBeforeCommit());
            }
        }
        if (flusher != null) {
            LockSupport.unpark(flusher);
            join(flusher, unfinished, "periodic flusher");
        }
        for (Tailer t : tailers) {
            t.close();
        }
        lock.lock();
        try {
            if (failure == null) {
                try {
                    flushBuffer();
                    active.force(false);
                    forces.increment();
                } catch (IOException | RuntimeException e) {
                    unfinished.add("final force of " + activePath + " failed: " + e);
                }
            }
            closeQuietly(active);
        } finally {
            lock.unlock();
        }
        releaseLock();
        if (unfinished.isEmpty()) {
            LOG.info("journal '{}' closed at LSN {}", name, lastLsn());
        } else {
            LOG.warn("journal '{}' closed at LSN {}, unfinished: {}", name, lastLsn(), unfinished);
        }
    }

    private static void join(Thread t, List<String> unfinished, String what) {
        try {
            t.join(TimeUnit.NANOSECONDS.toMillis(CLOSE_WAIT_NANOS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
            unfinished.add(what + " " + t.getName() + " did not stop within 10 s");
        }
    }

    private void releaseLock() {
        try {
            fileLock.release();
        } catch (IOException e) {
            LOG.debug("releasing lock of {}", dir, e);
        }
        closeQuietly(lockChannel);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("close failed", e);
            }
        }
    }

    // ---------------------------------------------------------------------------------------- transaction

    /** A transaction buffered in memory until commit. */
    private final class Tx implements Transaction {
        private final List<byte[]> recs = new ArrayList<>();
        private long size = SegmentFormat.COMMIT_RECORD;
        private boolean done;

        @Override
        public Transaction append(byte[] record) {
            Objects.requireNonNull(record, "record");
            return add(record.clone());
        }

        @Override
        public Transaction append(ByteBuffer record) {
            Objects.requireNonNull(record, "record");
            byte[] b = new byte[record.remaining()];
            record.duplicate().get(b);
            return add(b);
        }

        private Transaction add(byte[] b) {
            if (done) {
                throw new IllegalStateException("transaction already committed or aborted");
            }
            checkRecordSize(b.length);
            long s = size + SegmentFormat.dataRecordSize(b.length);
            if (s > Integer.MAX_VALUE - 64) {
                throw new IllegalArgumentException(
                        "transaction of " + s + " bytes exceeds the limit of " + (Integer.MAX_VALUE - 64) + " bytes");
            }
            size = s;
            recs.add(b);
            return this;
        }

        private byte[][] finish() {
            if (done) {
                throw new IllegalStateException("transaction already committed or aborted");
            }
            done = true;
            return recs.toArray(new byte[0][]);
        }

        @Override
        public long commit() {
            checkOpen();
            return commitNow(finish(), size);
        }

        @Override
        public CompletableFuture<Long> commitAsync() {
            checkOpen();
            return commitLater(finish(), size);
        }

        @Override
        public void abort() {
            if (!done) {
                done = true;
                aborts.increment();
            }
        }
    }
}
