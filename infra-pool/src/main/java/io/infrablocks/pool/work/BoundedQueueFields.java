package io.infrablocks.pool.work;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.AbstractQueue;

/*
 * The counters of BoundedQueue as padded fields of its superclasses. The JVM lays out a superclass's fields
 * before its subclass's, so each group below sits between 128 bytes of padding (a cache line plus the one
 * the adjacent-line prefetcher pairs with it): head (written by consumers), tail (written by producers) and
 * the rarely written blocking/removal state never share a cache line. Fields rather than elements of a
 * padded long[] spare the fast path a load of the array reference and a bounds check per access.
 */

/** Padding before {@code head}. */
abstract class BoundedQueuePad0<E> extends AbstractQueue<E> {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
}

/** The next position to consume; changed only by CAS. */
abstract class BoundedQueueHead<E> extends BoundedQueuePad0<E> {
    static final VarHandle HEAD;

    static {
        try {
            HEAD = MethodHandles.lookup().findVarHandle(BoundedQueueHead.class, "head", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    volatile long head;
}

/** Padding between {@code head} and {@code tail}. */
abstract class BoundedQueuePad1<E> extends BoundedQueueHead<E> {
    long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;
}

/** The next position to produce; changed only by CAS. */
abstract class BoundedQueueTail<E> extends BoundedQueuePad1<E> {
    static final VarHandle TAIL;

    static {
        try {
            TAIL = MethodHandles.lookup().findVarHandle(BoundedQueueTail.class, "tail", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    volatile long tail;
}

/** Padding between {@code tail} and the blocking state. */
abstract class BoundedQueuePad2<E> extends BoundedQueueTail<E> {
    long p20, p21, p22, p23, p24, p25, p26, p27, p28, p29, p2a, p2b, p2c, p2d, p2e, p2f;
}

/**
 * State of the blocking path and of removal from the middle, read (not written) on the fast path: the
 * not-empty and not-full waiter counts (written under their list's lock), the spinning flags (0 or 1, set by
 * CAS), the removers count and the tombstone count.
 */
abstract class BoundedQueueWaitState<E> extends BoundedQueuePad2<E> {
    static final VarHandle SPINNING_CONSUMERS;
    static final VarHandle SPINNING_PRODUCERS;
    static final VarHandle REMOVERS;
    static final VarHandle TOMBSTONES;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            SPINNING_CONSUMERS = lookup.findVarHandle(BoundedQueueWaitState.class, "spinningConsumers", long.class);
            SPINNING_PRODUCERS = lookup.findVarHandle(BoundedQueueWaitState.class, "spinningProducers", long.class);
            REMOVERS = lookup.findVarHandle(BoundedQueueWaitState.class, "removers", long.class);
            TOMBSTONES = lookup.findVarHandle(BoundedQueueWaitState.class, "tombstones", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    volatile long notEmptyWaiters;
    volatile long spinningConsumers;
    volatile long notFullWaiters;
    volatile long spinningProducers;
    volatile long removers;
    volatile long tombstones;
}

/** Padding after the counters, before {@code BoundedQueue}'s own (read-only) fields. */
abstract class BoundedQueuePad3<E> extends BoundedQueueWaitState<E> {
    long p30, p31, p32, p33, p34, p35, p36, p37, p38, p39, p3a, p3b, p3c, p3d, p3e, p3f;
}
