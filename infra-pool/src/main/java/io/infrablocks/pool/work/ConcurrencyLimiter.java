package io.infrablocks.pool.work;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The permits and the Vegas-style limit of {@link AdaptiveLimit} (algorithm and source there).
 *
 * <p>Concurrency. {@code inFlight} counts the permits held (CAS, never above the limit read at the time);
 * {@code limit} is volatile, written only under {@code lock} by {@link #onSample}, which also guards the
 * sampling state ({@code rttNoLoad}, {@code samplesSinceProbe}). Submitters that wait for a permit
 * ({@code BLOCK} policies) wait on {@code permitFreed} under {@code lock} and announce themselves in the
 * volatile {@code blocked} count before their last {@link #tryAcquire()}; {@link #release()} decrements
 * {@code inFlight} and then reads {@code blocked}: by the total order of volatile accesses, either the
 * waiter's re-check sees the freed permit or the releaser sees the waiter and signals it (under the lock,
 * which the waiter holds until it waits, so the signal cannot come too early). A waiter that leaves without
 * a permit (timeout, interrupt) passes a signal on. Raising the limit signals all waiters.
 *
 * <p>Complexity: {@code tryAcquire}/{@code release} O(1), lock-free unless someone waits; {@code onSample}
 * O(1) under a lock taken once per sampled task.
 */
final class ConcurrencyLimiter {

    /** {@code rttNoLoad} is re-measured every {@code PROBE_FACTOR x limit} samples. */
    static final int PROBE_FACTOR = 30;

    private final int minLimit;
    private final int maxLimit;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile int limit;
    private volatile int blocked;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition permitFreed = lock.newCondition();
    /** The least sampled latency since the last probe; 0 until the first sample. Guarded by lock. */
    private long rttNoLoad;
    /** Guarded by lock. */
    private long samplesSinceProbe;

    ConcurrencyLimiter(AdaptiveLimit config) {
        this.minLimit = config.minLimit();
        this.maxLimit = config.maxLimit();
        this.limit = config.initialLimit();
    }

    int limit() {
        return limit;
    }

    int inFlight() {
        return inFlight.get();
    }

    /** Takes a permit if fewer than {@code limit} are held. */
    boolean tryAcquire() {
        for (; ; ) {
            int n = inFlight.get();
            if (n >= limit) {
                return false;
            }
            if (inFlight.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /**
     * Takes a permit, waiting for one (up to {@code nanos} if {@code timed}).
     *
     * @return false if the time elapsed first
     */
    boolean acquire(boolean timed, long nanos) throws InterruptedException {
        if (tryAcquire()) {
            return true;
        }
        lock.lockInterruptibly();
        boolean acquired = false;
        try {
            blocked++;
            while (!(acquired = tryAcquire())) {
                if (!timed) {
                    permitFreed.await();
                } else if (nanos <= 0) {
                    return false;
                } else {
                    nanos = permitFreed.awaitNanos(nanos);
                }
            }
            return true;
        } finally {
            blocked--;
            if (!acquired && blocked > 0) {
                permitFreed.signal(); // we may have consumed a signal meant for a permit someone else can use
            }
            lock.unlock();
        }
    }

    /** Gives back a permit and wakes a waiting submitter, if any. */
    void release() {
        inFlight.decrementAndGet();
        if (blocked != 0) {
            lock.lock();
            try {
                permitFreed.signal();
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Feeds one sampled task's submission-to-completion time, with the permits held when it completed (its
     * own included), into the limit.
     */
    void onSample(long rttNanos, int inFlightNow) {
        long rtt = Math.max(1, rttNanos);
        lock.lock();
        try {
            int current = limit;
            if (rttNoLoad == 0 || rtt < rttNoLoad || ++samplesSinceProbe >= (long) PROBE_FACTOR * current) {
                rttNoLoad = rtt;
                samplesSinceProbe = 0;
                return;
            }
            int next = next(current, rttNoLoad, rtt, inFlightNow);
            if (next != current) {
                limit = next;
                if (next > current && blocked > 0) {
                    permitFreed.signalAll();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** One Vegas step (see {@link AdaptiveLimit}); pure, for the tests. */
    int next(int current, long noLoad, long rtt, int inFlightNow) {
        if (inFlightNow * 2 < current) {
            return current; // not using the limit: the samples say nothing about it
        }
        int queued = (int) Math.ceil(current * (1.0 - (double) noLoad / rtt));
        int g = Math.max(1, (int) Math.log10(current));
        int next;
        if (queued <= g) {
            next = current + 6 * g; // no queueing: grow fast
        } else if (queued < 3 * g) {
            next = current + g;
        } else if (queued > 6 * g) {
            next = current - g; // latency from queueing: shrink
        } else {
            return current;
        }
        return Math.max(minLimit, Math.min(maxLimit, next));
    }

    @Override
    public String toString() {
        return "limit " + limit + ", in flight " + inFlight.get() + ", waiting " + blocked;
    }
}
