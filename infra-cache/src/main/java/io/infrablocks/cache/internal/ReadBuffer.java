package io.infrablocks.cache.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * Striped, lossy, bounded buffers of read events (the BP-Wrapper technique: batch accesses per thread and
 * apply them to the policy in bulk under one lock acquisition, instead of taking a lock per read).
 *
 * <p>Each stripe is a ring of {@link #SLOTS} references with a producer counter {@code tail} (advanced by CAS,
 * any thread) and a consumer counter {@code head} (advanced only by the drainer, which holds the cache's
 * eviction lock). A producer claims slot {@code tail} by CAS and then publishes the element with a release
 * store; the drainer reads slots with acquire loads, stops at the first unpublished (null) slot, clears each
 * slot it consumes and then publishes the new head with a release store, so a producer that sees the new head
 * also sees the cleared slot. An offer that finds its stripe full, or loses the CAS, drops the event: reads
 * only inform the policy, and losing a few under contention costs a little hit ratio, never correctness. The
 * offer that fills a stripe asks for a drain; while it stays full, only every {@link #DROPS_PER_REQUEST}th dropped
 * offer asks again.
 * Threads pick a stripe by a hash of their id; the counters sit on separate cache lines.
 *
 * <p>Complexity: offer O(1), no allocation; drain O(events).
 */
final class ReadBuffer {

    /**
     * Slots per stripe. A full stripe wakes the maintenance thread, and with an asynchronous executor the wake-up
     * (futex, run-queue lock) costs more than replaying the reads: 64 slots wake it a quarter as often as 16 did
     * ({@code readOnly}, 2 threads: 102-124 instead of 137-169 cycles per read for the whole process).
     */
    static final int SLOTS = 64;

    private static final int SLOT_MASK = SLOTS - 1;

    /** The offer was recorded and the stripe has room left. */
    static final int RECORDED = 0;
    /**
     * The offer filled the stripe's last slot, or it is the {@value #DROPS_PER_REQUEST}th offer dropped by a full
     * stripe: ask for a drain.
     */
    static final int FULL = 1;
    /** The offer was dropped because another thread won the slot. */
    static final int CONTENDED = 2;
    /** The offer was dropped because the stripe is full, and a drain was asked for recently. */
    static final int DROPPED = 3;

    /**
     * While a stripe stays full, only one dropped offer in this many asks for a drain again. The offer that fills
     * the stripe asks at once (so a caller that runs maintenance on its own thread never drops a read); the
     * spacing keeps readers of a full stripe from waking the maintenance thread again the moment it finishes,
     * often while it is still being descheduled, which costs both sides a contended scheduler wake-up.
     */
    static final int DROPS_PER_REQUEST = 64;

    private final Stripe[] stripes;
    private final int mask;

    ReadBuffer() {
        int wanted = Math.min(64, 4 * Runtime.getRuntime().availableProcessors());
        int n = Integer.highestOneBit(Math.max(1, wanted - 1)) << 1;
        stripes = new Stripe[n];
        for (int i = 0; i < n; i++) {
            stripes[i] = new Stripe();
        }
        mask = n - 1;
    }

    @SuppressWarnings("deprecation") // Thread.getId(): Thread.threadId() is Java 19+, we target 17
    int offer(Object e) {
        long id = Thread.currentThread().getId();
        int h = (int) (id * 0x9E3779B97F4A7C15L >>> 32);
        return stripes[h & mask].offer(e);
    }

    /** Hands every published event to the sink; caller holds the eviction lock. */
    void drainTo(Consumer<Object> sink) {
        for (Stripe s : stripes) {
            s.drainTo(sink);
        }
    }

    abstract static class PadHead {
        long p00, p01, p02, p03, p04, p05, p06, p07;
    }

    abstract static class TailField extends PadHead {
        volatile long tail;

        /** Offers dropped because the stripe was full (racy counter, producers only, next to their counter). */
        int drops;
    }

    abstract static class PadMiddle extends TailField {
        long p10, p11, p12, p13, p14, p15, p16, p17;
    }

    abstract static class HeadField extends PadMiddle {
        volatile long head;
    }

    abstract static class PadTail extends HeadField {
        long p20, p21, p22, p23, p24, p25, p26, p27;
    }

    static final class Stripe extends PadTail {
        private static final VarHandle TAIL;
        private static final VarHandle HEAD;

        static {
            try {
                MethodHandles.Lookup lookup = MethodHandles.lookup();
                TAIL = lookup.findVarHandle(TailField.class, "tail", long.class);
                HEAD = lookup.findVarHandle(HeadField.class, "head", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final AtomicReferenceArray<Object> slots = new AtomicReferenceArray<>(SLOTS);

        int offer(Object e) {
            long h = head;
            long t = tail;
            long size = t - h;
            if (size >= SLOTS) {
                return (++drops & (DROPS_PER_REQUEST - 1)) == 0 ? FULL : DROPPED;
            }
            if (TAIL.compareAndSet(this, t, t + 1)) {
                slots.setRelease((int) t & SLOT_MASK, e);
                return size + 1 >= SLOTS ? FULL : RECORDED;
            }
            return CONTENDED;
        }

        void drainTo(Consumer<Object> sink) {
            long h = head;
            long t = tail;
            for (; h < t; h++) {
                int i = (int) h & SLOT_MASK;
                Object e = slots.getAcquire(i);
                if (e == null) {
                    break;
                }
                slots.setPlain(i, null);
                sink.accept(e);
            }
            HEAD.setRelease(this, h);
        }
    }
}
