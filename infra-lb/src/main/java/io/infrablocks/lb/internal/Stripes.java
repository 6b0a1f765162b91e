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
