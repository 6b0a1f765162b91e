package io.infrablocks.lb.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cached reading of the system clock for the peak-EWMA completions, refreshed every {@link #resolution}
 * by a ticker thread that runs only while someone reads it.
 *
 * <p>Why: every completion of a peak-EWMA strategy needs "now" to decay the endpoint's estimate, and {@code
 * System.nanoTime()} costs about 100 cycles on the benchmark VM (perf stat; 60–120 ns of wall-clock time
 * when the machine is loaded), more than the rest of a pick and its completion. Envoy's
 * workers read an approximate time cached once per event-loop iteration for the same reason. An estimate
 * with a 10 s time constant does not notice a reading up to a millisecond old: over a run the weights of
 * the samples still add up to the elapsed time.
 *
 * <p>Design: one volatile int, {@code state}, holds two bits: a ticker is running, and someone read the clock
 * since its last tick. {@link #now()} reads {@code tick} (one volatile load) when both are set, the usual case:
 * one test. While running but not yet marked used it marks it (a CAS, at most once per tick and thread in
 * practice). Otherwise it reads the source itself, raises {@code tick} to that value and starts a ticker
 * through the balancer's {@link ThreadFactory} (one CAS from 0 decides who starts it). The ticker parks for
 * the resolution, raises {@code tick}, clears the used bit (an atomic and that returns the old state), and
 * stops after {@link #idleTicks} ticks in which nobody read the clock, so an idle
 * or forgotten balancer owns no thread; {@link #close()} stops it within one resolution. {@code tick} only
 * moves forward (a CAS maximum: the ticker and readers that find it stopped may write at once), so readers
 * see a monotonic clock that lags the source by at most about one resolution plus the ticker's scheduling
 * delay. If the factory fails to make a thread, every read goes to the source from then on (logged once).
 *
 * <p>{@code settled}, a second volatile long written by the ticker alone (and by the read that starts it), holds the
 * tick with its lowest bit cleared while a ticker runs and {@link #UNSET} (odd) otherwise, set before {@code state}
 * is cleared so a new ticker's value is never overwritten by an old one's exit. A peak-EWMA completion compares its
 * estimate's stamp with it (one load, no state test): equal means the estimate was updated at this tick. It does not
 * mark the clock used, but the first completion of each estimate after a tick finds the stamp older and reads {@link
 * #now()}, which does, so a ticker keeps running while completions come.
 */
final class CoarseClock implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CoarseClock.class);

    private static final VarHandle TICK;
    private static final VarHandle STATE;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            TICK = l.findVarHandle(CoarseClock.class, "tick", long.class);
            STATE = l.findVarHandle(CoarseClock.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final LongSupplier source;
    /** Whether every read goes to the source (a clock that is not the system's: nothing to cache). */
    private final boolean direct;

    private final ThreadFactory threadFactory;
    private final long resolution;
    private final int idleTicks;

    /** The latest reading; only grows. */
    private volatile long tick;
    /**
     * {@code tick} with its lowest bit cleared while the ticker runs, else {@link #UNSET}: written by the ticker, and
     * by the read that starts it (or fails to). A peak-EWMA completion compares it with its estimate's stamp ({@link
     * #settled()}).
     */
    private volatile long settled = UNSET;
    /** {@link #RUNNING} and {@link #USED}, one word so the usual read tests one value. */
    private volatile int state;
    /** Set once by close(): the ticker exits and no new one starts. */
    private volatile boolean closed;
    /** Set when the thread factory failed: every read goes to the source. */
    private volatile boolean disabled;

    /**
     * Creates the clock; no thread starts before the first read.
     *
     * @param source the clock it caches, {@code System::nanoTime} in production
     * @param threadFactory makes the ticker thread
     * @param resolution nanoseconds between ticks
     * @param idleTicks ticks without a read after which the ticker stops
     */
    CoarseClock(LongSupplier source, ThreadFactory threadFactory, long resolution, int idleTicks) {
        this(source, threadFactory, resolution, idleTicks, false);
    }

    private CoarseClock(
            LongSupplier source, ThreadFactory threadFactory, long resolution, int idleTicks, boolean direct) {
        this.source = source;
        this.direct = direct;
        this.threadFactory = threadFactory;
        this.resolution = resolution;
        this.idleTicks = idleTicks;
        // tick only moves forward, so it starts at a reading: from 0 it could never follow a source below 0
        this.tick = direct ? 0 : source.getAsLong();
    }

    /** The production settings: 1 ms resolution, stop after 1 s without a read. */
    static CoarseClock system(ThreadFactory threadFactory) {
        return new CoarseClock(System::nanoTime, threadFactory, TimeUnit.MILLISECONDS.toNanos(1), 1000);
    }

    /** {@link #settled} while no ticker runs: odd, so it equals no stamp (see {@link #settled()}). */
    static final long UNSET = -1;

    /** {@link #state} bit: a ticker is refreshing {@code tick} (readers may use it). */
    private static final int RUNNING = 1;
    /** {@link #state} bit: someone read the clock since the ticker's last tick. */
    private static final int USED = 2;

    /**
     * A clock that reads {@code source} on every call and never starts a thread (for a clock that is not the
     * system's, which tests move by hand).
     *
     * @param source the clock
     * @return the clock
     */
    static CoarseClock direct(LongSupplier source) {
        return new CoarseClock(source, r -> null, 1, 1, true);
    }

    /**
     * The time, at most about one resolution behind the source.
     *
     * @return nanoseconds on the source's scale
     */
    long now() {
        if (state == (RUNNING | USED)) {
            return tick;
        }
        return slowNow();
    }

    /**
     * The current tick with its lowest bit cleared while a ticker refreshes it, else {@link #UNSET} (odd). A
     * peak-EWMA estimate stamped at {@code settled()} (stamps clear the same bit) was updated at this tick, and a
     * sample within it changes nothing: its completion reads this one field and does not read the clock. It does
     * not mark the clock used; the first completion of each estimate after a tick finds its stamp older and reads
     * {@link #now()}, which does.
     *
     * @return the tick, even, or {@link #UNSET}
     */
    long settled() {
        return settled;
    }

    private long slowNow() {
        if (direct) {
            return source.getAsLong();
        }
        int s = state;
        if ((s & RUNNING) != 0) {
            // a CAS, not a plain write: the ticker may be clearing RUNNING as it stops
            STATE.compareAndSet(this, s, s | USED);
            return tick;
        }
        long t = source.getAsLong();
        advance(t);
        if (!closed && !disabled && STATE.compareAndSet(this, 0, RUNNING | USED)) {
            settled = tick & ~1L; // running from now on: completions need not wait for the first tick
            start();
        }
        return t;
    }

    private void start() {
        Thread t;
        try {
            t = threadFactory.newThread(this::run);
            if (t == null) {
                throw new IllegalStateException("thread factory returned null");
            }
            t.start();
        } catch (RuntimeException | Error e) {
            disabled = true;
            settled = UNSET;
            state = 0;
            log.warn("coarse clock disabled, reading the clock on every completion: could not start a ticker", e);
        }
    }

    private void advance(long t) {
        for (; ; ) {
            long cur = tick;
            if (t - cur <= 0 || TICK.compareAndSet(this, cur, t)) {
                return;
            }
        }
    }

    private void run() {
        try {
            int idle = 0;
            while (!closed) {
                LockSupport.parkNanos(this, resolution);
                advance(source.getAsLong());
                settled = tick & ~1L;
                if ((int) STATE.getAndBitwiseAnd(this, ~USED) == (RUNNING | USED)) {
                    idle = 0;
                } else if (++idle >= idleTicks) {
                    // readers from now on read the source and start a new ticker; one that read running just
                    // before gets a tick at most one resolution old
                    return;
                }
            }
        } finally {
            // on every exit, even by an error: readers never keep using a tick nobody refreshes (settled first: a
            // new ticker starts only after state is 0, and its first tick must not be overwritten)
            settled = UNSET;
            state = 0;
        }
    }

    /** Whether a ticker is running (for tests). */
    boolean ticking() {
        return (state & RUNNING) != 0;
    }

    /** Stops the ticker (it exits within one resolution) and makes every later read go to the source. */
    @Override
    public void close() {
        closed = true;
    }
}
