package io.infrablocks.lb.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Per-thread stripes for the hot-path counters (in-flight counts, rotation cursors), so that threads on
 * different cores write different cache lines.
 *
 * <p>The idea is Envoy's (one load balancer per worker thread, each with its own rotation) and {@code
 * java.util.concurrent.atomic.LongAdder}'s (cells on separate cache lines): a thread's stripe is its thread
 * id modulo a power of two {@link #COUNT} (at least 2 × the processors, at most 16), so consecutively
 * created threads, the usual case for a pool, land on distinct stripes. Threads that share a stripe stay
 * correct (the counters are atomic; a shared rotation cursor is racy by design, see {@link
 * SequencePickers}), they only share its cache line. Each stripe occupies {@link #PAD} ints (128 bytes,
 * two cache lines, against adjacent-line prefetching) of an {@code int[]}; stripe {@code s} starts at
 * {@code (s + 1) × PAD}, so no stripe shares a line with the array header.
 *
 * <p>Ownership: the first thread to use a stripe owns it ({@link #owns}), process-wide, until it dies;
 * a counter that only the owner writes needs no atomic instruction (a plain read and a release store).
 * Another thread of the same stripe finds a live owner and takes the shared, atomic path; it takes over
 * a stripe whose owner has terminated (seen through {@link Thread#isAlive()}, which happens-after
 * everything the dead owner wrote, then a CAS), so pools that replace their threads keep the fast path.
 * {@code OWNERS} keeps at most {@link #COUNT} {@code Thread} objects reachable (dead ones until replaced).
 */
final class Stripes {

    /** The number of stripes, a power of two. */
    static final int COUNT;
    /** {@code COUNT - 1}. */
    static final int MASK;
    /** Ints per stripe: 128 bytes. */
    static final int PAD = 32;

    static {
        int target = Math.min(16, Math.max(2, 2 * Runtime.getRuntime().availableProcessors()));
        COUNT = Integer.highestOneBit(target * 2 - 1);
        MASK = COUNT - 1;
    }

    private static final VarHandle OWNER = MethodHandles.arrayElementVarHandle(Object[].class);
    /** The owning thread of each stripe, at {@link #offset}. */
    private static final Object[] OWNERS = new Object[(COUNT + 1) * PAD];

    private Stripes() {}

    /**
     * Whether the calling thread owns stripe {@code s}, claiming it when it is the calling thread's own
     * stripe and free or its owner has terminated. A completion is credited to the stripe that picked,
     * which need not be the completing thread's: a thread never claims another stripe.
     *
     * @param s a stripe
     * @return true when only this thread writes the stripe's owner-only counters
     */
    @SuppressWarnings("deprecation") // Thread.getId(), see current()
    static boolean owns(int s) {
        Thread t = Thread.currentThread();
        Object o = OWNER.getAcquire(OWNERS, offset(s));
        if (o == t) {
            return true;
        }
        return (o == null || !((Thread) o).isAlive())
                && ((int) t.getId() & MASK) == s
                && OWNER.compareAndSet(OWNERS, offset(s), o, t);
    }

    /**
     * The calling thread's stripe.
     *
     * @return a stripe in [0, COUNT)
     */
    @SuppressWarnings("deprecation") // Thread.getId() is deprecated from JDK 19 (threadId()); we target 17
    static int current() {
        return (int) Thread.currentThread().getId() & MASK;
    }

    /**
     * A padded {@code int[]} with one slot per stripe (see {@link #offset}).
     *
     * @return the array
     */
    static int[] newCells() {
        return new int[(COUNT + 1) * PAD];
    }

    /**
     * The index of stripe {@code s}'s first int in an array from {@link #newCells}.
     *
     * @param s the stripe
     * @return the index
     */
    static int offset(int s) {
        return (s + 1) * PAD;
    }
}
