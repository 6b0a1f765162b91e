package io.infrablocks.pool.work;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.WriterReaderPhaser;

/**
 * Per-worker task statistics, recorded without contention: the worker writes the active phase inside a
 * {@link WriterReaderPhaser} critical section (two uncontended atomic increments per task), and a reader
 * swaps the active and inactive phases and folds the retired one into a total (HdrHistogram's
 * double-buffered recorder scheme). {@code active} is volatile so that writers see a swap; {@code inactive}
 * and the totals are guarded by the phaser's reader lock and the caller's lock.
 */
final class TaskStats {

    /** Histograms and counters of one phase. */
    static final class Phase {
        final Histogram queueWait = new Histogram(2);
        final Histogram runTime = new Histogram(2);
        long completed;
        long failed;

        void reset() {
            queueWait.reset();
            runTime.reset();
            completed = 0;
            failed = 0;
        }

        void add(Phase other) {
            queueWait.add(other.queueWait);
            runTime.add(other.runTime);
            completed += other.completed;
            failed += other.failed;
        }
    }

    private final WriterReaderPhaser phaser = new WriterReaderPhaser();
    private volatile Phase active = new Phase();
    private Phase inactive = new Phase();
    /** Set once the writer will record no more, so the registry can forget these stats after a drain. */
    volatile boolean retired;

    /** Records one finished task; called by one writer at a time. */
    void record(long queueWaitNanos, long runNanos, boolean failed) {
        long critical = phaser.writerCriticalSectionEnter();
        try {
            Phase phase = active;
            phase.queueWait.recordValue(Math.max(0, queueWaitNanos));
            phase.runTime.recordValue(Math.max(0, runNanos));
            phase.completed++;
            if (failed) {
                phase.failed++;
            }
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
