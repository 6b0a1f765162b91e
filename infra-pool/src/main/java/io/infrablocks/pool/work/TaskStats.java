package io.infrablocks.pool.work;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.WriterReaderPhaser;

/**
 * Per-worker task statistics, recorded without contention. Counters are plain fields of their single writer,
 * published with release stores and read with acquire loads. Latencies of sampled tasks go into the active
 * phase inside a {@link WriterReaderPhaser} critical section (two uncontended atomic increments), and a
 * reader swaps the active and inactive phases and folds the retired one into a total (HdrHistogram's
 * double-buffered recorder scheme). {@code active} is volatile so that writers see a swap; {@code inactive}
 * and the totals are guarded by the phaser's reader lock and the caller's lock.
 */
final class TaskStats {

    private static final VarHandle COMPLETED;
    private static final VarHandle FAILED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            COMPLETED = lookup.findVarHandle(TaskStats.class, "completed", long.class);
            FAILED = lookup.findVarHandle(TaskStats.class, "failed", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Histograms and counters of one phase. */
    static final class Phase {
        final Histogram queueWait = new Histogram(2);
        final Histogram runTime = new Histogram(2);

        void reset() {
            queueWait.reset();
            runTime.reset();
        }

        void add(Phase other) {
            queueWait.add(other.queueWait);
            runTime.add(other.runTime);
        }
    }

    private final WriterReaderPhaser phaser = new WriterReaderPhaser();
    private volatile Phase active = new Phase();
    private Phase inactive = new Phase();
    /** Set once the writer will record no more, so the registry can forget these stats after a drain. */
    volatile boolean retired;

    private long completed;
    private long failed;

    /** Counts one finished task; called by one writer at a time. */
    void count(boolean taskFailed) {
        COMPLETED.setRelease(this, completed + 1);
        if (taskFailed) {
            FAILED.setRelease(this, failed + 1);
        }
    }

    long completed() {
        return (long) COMPLETED.getAcquire(this);
    }

    long failed() {
        return (long) FAILED.getAcquire(this);
    }

    /** Records the latencies of one sampled task; called by one writer at a time. */
    void record(long queueWaitNanos, long runNanos) {
        long critical = phaser.writerCriticalSectionEnter();
        try {
            Phase phase = active;
            phase.queueWait.recordValue(Math.max(0, queueWaitNanos));
            phase.runTime.recordValue(Math.max(0, runNanos));
        } finally {
            phaser.writerCriticalSectionExit(critical);
        }
    }

    /** Moves everything recorded so far into {@code total}; callers serialize calls. */
    void drainInto(Phase total) {
        phaser.readerLock();
        try {
            inactive.reset();
            Phase retiring = active;
            active = inactive;
            inactive = retiring;
            phaser.flipPhase();
            total.add(retiring);
        } finally {
            phaser.readerUnlock();
        }
    }
}
