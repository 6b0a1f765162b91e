package io.infrablocks.lb.internal;

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
 * <p>Ownership: the first thread of a stripe to complete a call on a {@link Member.Handle} owns that
 * handle's owner-only counter until it dies ({@link #mayClaim}); a counter that only the owner writes needs
 * no atomic instruction (a plain read and a release store). Another thread of the same stripe finds a
 * live owner and takes the shared, atomic path; it takes over a handle whose owner has terminated (seen
 * through {@link Thread#isAlive()}, which happens-after everything the dead owner wrote, then a CAS), so
 * pools that replace their threads keep the fast path. A thread of another stripe (completing a call
 * picked elsewhere) never claims. Each handle keeps at most one {@code Thread} reachable (a dead one until
 * replaced; a terminated thread has dropped its thread-locals).
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

    private Stripes() {}

    /**
     * Whether thread {@code t} may claim the owner-only counter of stripe {@code s} from its current owner
     * {@code owner}: the counter is free or its owner has terminated, and {@code s} is {@code t}'s own
     * stripe.
     *
     * @param owner the current owner, or null
     * @param t the calling thread
     * @param s the counter's stripe
     * @return true when {@code t} may try to claim it (by CAS)
     */
    @SuppressWarnings("deprecation") // Thread.getId(), see current()
    static boolean mayClaim(Object owner, Thread t, int s) {
        return (owner == null || !((Thread) owner).isAlive()) && ((int) t.getId() & MASK) == s;
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
