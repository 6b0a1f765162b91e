package io.infrablocks.cache.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A bounded multi-producer, single-consumer ring of nodes whose policy state must be reconciled (added,
 * updated, removed). Unlike the read buffer it never drops: a producer that finds it full runs maintenance
 * itself (blocking on the eviction lock) and retries.
 *
 * <p>Producers claim a slot by CAS on {@code tail} and publish with a release store; the single consumer (the
 * eviction-lock holder) polls with acquire loads, clears the slot, then releases the new {@code head}. A
 * claimed but not yet published slot looks empty: the consumer stops there, and the producer's following
 * drain request makes maintenance run again.
 *
 * @param <E> the element type
 */
final class WriteBuffer<E> {

    private static final VarHandle TAIL;
    private static final VarHandle HEAD;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            TAIL = lookup.findVarHandle(WriteBuffer.class, "tail", long.class);
            HEAD = lookup.findVarHandle(WriteBuffer.class, "head", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final AtomicReferenceArray<E> slots;
    private final int mask;

    @SuppressWarnings("unused") // padding between the counters
    private long p00, p01, p02, p03, p04, p05, p06, p07;

    private volatile long tail;

    @SuppressWarnings("unused")
    private long p10, p11, p12, p13, p14, p15, p16, p17;

    private volatile long head;

    WriteBuffer(int capacity) {
        int n = Integer.highestOneBit(Math.max(2, capacity) - 1) << 1;
        slots = new AtomicReferenceArray<>(n);
        mask = n - 1;
    }

    boolean offer(E e) {
        for (; ; ) {
            long h = head;
            long t = tail;
            if (t - h > mask) {
                return false;
            }
            if (TAIL.compareAndSet(this, t, t + 1)) {
                slots.setRelease((int) t & mask, e);
                return true;
            }
        }
    }

    E poll() {
        long h = head;
        int i = (int) h & mask;
        E e = slots.getAcquire(i);
        if (e == null) {
            return null;
        }
        slots.setPlain(i, null);
        HEAD.setRelease(this, h + 1);
        return e;
    }

    boolean isEmpty() {
        return head == tail;
    }
}
