package io.infrablocks.pool.work;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Collection;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * A fixed-capacity, multi-producer multi-consumer FIFO {@link BlockingQueue} with a lock-free fast path.
 *
 * <p>Design. The ring is Dmitry Vyukov's bounded MPMC queue ("Bounded MPMC queue", 1024cores.net, 2010), the
 * algorithm JCTools' {@code MpmcArrayQueue} also builds on: an array of slots, each with a sequence number,
 * and two monotonically increasing 64-bit counters, {@code tail} (next position to produce) and {@code head}
 * (next position to consume). Position {@code p} lives in slot {@code p mod capacity}. Slot sequence {@code
 * s}: {@code s == 2p} means "free for the producer of position p"; {@code s == 2p + 1} means "holds the
 * element of position p, ready for its consumer"; after consuming, the consumer sets {@code s = 2(p +
 * capacity)}, the free state for the producer one lap later. (Vyukov uses p and p + 1; doubling keeps the
 * two states distinct when the capacity is 1.) A producer claims a position with one CAS on {@code tail},
 * writes the element and publishes it with a release store of the sequence; a consumer claims with one CAS
 * on {@code head}, takes the element and releases the slot the same way. Each sequence value belongs to one
 * position only, so there is no ABA. Any capacity works (a power of two indexes with a mask, others with
 * {@code %}).
 *
 * <p>Concurrency invariants and what guards what.
 *
 * <ul>
 *   <li>{@code head}, {@code tail}: changed only by CAS (volatile); {@code head <= tail <= head + capacity}.
 *       They are fields of padding superclasses ({@code BoundedQueueFields.java}), 128 bytes apart
 *       and apart from the blocking/removal counts, and the slot arrays are padded at both ends, so the hot
 *       counters share no cache line with each other or with neighbouring objects (false sharing). Fields,
 *       not elements of a padded {@code long[]}: the fast path then loads no array reference and checks no
 *       bounds per counter access (a third fewer instructions per hand-off).
 *   <li>Slot sequences: release stores / acquire loads; a slot's element is written before, and read after,
 *       its sequence is published, so the sequence orders the element hand-off.
 *   <li>Removal from the middle ({@link #remove(Object)}, {@link Iterator#remove()}) replaces an element by
 *       a tombstone with a CAS, and must never succeed for an element a consumer also takes. A remover
 *       first increments the {@code removers} count, then checks that {@code head} has not passed the
 *       position, then CASes; a consumer, after its CAS on {@code head}, reads the count: zero, and the slot
 *       is its alone (plain read and clear of the element, no atomic instruction); non-zero, and it takes
 *       the element with an atomic exchange, which the remover's CAS then loses or wins cleanly (Dekker-style
 *       announcement: by the total order of volatile accesses, either the consumer sees the count or the
 *       remover sees the advanced {@code head}).
 *   <li>Blocking. A thread that finds the queue empty (full) first spins, if no other thread of its side is
 *       spinning (a CAS on that side's spinning count, 0 to 1): {@code SPINS} busy spins, then {@link
 *       Thread#yield()}s for up to {@code SPIN_NANOS} (yielding hands the processor to the other side when
 *       threads outnumber processors, as with 4 threads on 2 cores). Then it registers a {@code Waiter} in
 *       the not-empty (not-full) list, whose {@link ReentrantLock} guards only that list; the list's size is
 *       published in a volatile count. No-lost-wake-up invariant: <b>a consumer parks only after it published
 *       its registration (volatile write) and then read {@code tail <= head} (volatile reads); a producer,
 *       after its CAS on {@code tail}, publishes the element and then reads the not-empty count (volatile)
 *       and wakes one waiter if it is non-zero.</b> Volatile accesses are totally ordered, so either the
 *       producer sees the registration (and wakes someone), or the consumer's read of {@code tail} sees the
 *       claimed position and it retries instead of parking. The same holds for producers waiting on a full
 *       queue ({@code tail - head >= capacity}) and consumers' CAS on {@code head}. A waiter that was woken
 *       but leaves without completing (timeout, interrupt) passes the wake-up on, so a wake-up is never
 *       swallowed. Waking is one waiter per element or freed slot (no thundering herd), and only when the
 *       count says someone is parked (one volatile load on the fast path otherwise). Both directions share
 *       one code path ({@code await}).
 *   <li>Spinning waiters. A producer skips the wake-up while a consumer spins (and a consumer while a
 *       producer spins); when the spinner stops spinning (volatile write), it re-reads {@code tail}/{@code
 *       head} and, if elements (room) remain and waiters of its side are parked, wakes one, as does every
 *       woken waiter that completed (chained wake-ups). By the same total order, an element (slot) whose
 *       producer (consumer) saw the spinner is visible to the spinner's re-check. Wake-up system calls thus
 *       leave the fast path while the two sides keep up with each other. A spinner must not hold this
 *       privilege while it is off the processor (an oversubscribed machine deschedules a yielding thread for
 *       milliseconds, and meanwhile nobody wakes the parked threads): one whose {@link Thread#yield()} took
 *       longer than {@code DESCHEDULED_NANOS} stops spinning and parks, like one whose budget is spent.
 * </ul>
 *
 * <p>Complexity: {@code offer}/{@code poll}/{@code put}/{@code take} O(1) amortized (one CAS when
 * uncontended); {@code size}, {@code remainingCapacity} O(1); {@code remove(Object)}, {@code contains}, {@code
 * peek} when tombstones are present and iteration O(n).
 *
 * <p>Semantics of removal from the middle: {@link #remove(Object)} and {@link Iterator#remove()} replace the
 * element by a tombstone; the slot is freed at once if it is at the head (with any tombstones behind it),
 * else when consumers pass it. Until then it still takes up capacity:
 * {@link #size()} no longer counts it but {@link #remainingCapacity()} reports only slots a producer can
 * use now, so {@code size() + remainingCapacity()} may be less than the capacity for a while. Iterators are
 * weakly consistent: they never throw {@link java.util.ConcurrentModificationException}, return each element
 * at most once, and traverse the positions that were in the queue when the iterator was created, skipping
 * those consumed since. Null elements are rejected.
 *
 * @param <E> the element type
 */
public final class BoundedQueue<E> extends BoundedQueuePad3<E> implements BlockingQueue<E> {

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle REFS = MethodHandles.arrayElementVarHandle(Object[].class);

    /** 16 longs = 128 bytes: one cache line plus the adjacent line the prefetcher pairs with it. */
    private static final int PAD = 16;

    private static final boolean MULTIPROCESSOR = Runtime.getRuntime().availableProcessors() > 1;

    /**
     * Busy spins before a blocking operation registers itself and parks (none on one processor, where the
     * thread that would end the wait cannot run meanwhile).
     */
    private static final int SPINS = MULTIPROCESSOR ? 64 : 0;

    /**
     * How long the one spinning consumer (producer) keeps watching an empty (full) queue, busy spinning then
     * yielding, before it parks: waking a parked thread costs the other side a system call (microseconds on
     * a virtual machine), far more than the tiny tasks it would hand over meanwhile.
     */
    private static final long SPIN_NANOS = 50_000L;

    /**
     * A {@link Thread#yield()} that returns after this long was descheduled for other threads: the spinner
     * stops spinning (see {@link #spin}). A yield with nothing else to run costs about a microsecond.
     */
    private static final long DESCHEDULED_NANOS = 20_000L;

    /**
     * Spins while another thread finishes a claimed operation (between its CAS and its release store, a few
     * nanoseconds unless it was descheduled) before yielding the processor to it.
     */
    private static final int YIELD_AFTER_SPINS = 1024;

    private static final Object TOMBSTONE = new Object();

    private final int capacity;
    /** {@code capacity - 1} when the capacity is a power of two, else -1. */
    private final long mask;

    /** Slot sequences at {@code PAD + index}. */
    private final long[] sequences;
    /** Slot elements at {@code PAD + index}. */
    private final Object[] elements;

    private final WaitList notEmpty = new WaitList(true);
    private final WaitList notFull = new WaitList(false);

    private BoundedQueue(int capacity) {
        this.capacity = capacity;
        this.mask = Integer.bitCount(capacity) == 1 ? capacity - 1 : -1;
        this.sequences = new long[capacity + 2 * PAD];
        this.elements = new Object[capacity + 2 * PAD];
        for (int i = 0; i < capacity; i++) {
            sequences[PAD + i] = 2L * i;
        }
        VarHandle.releaseFence();
    }

    /**
     * Creates an empty queue.
     *
     * @param capacity the fixed number of elements the queue can hold
     * @param <E> the element type
     * @return a new queue
     * @throws IllegalArgumentException if {@code capacity} is not positive
     */
    public static <E> BoundedQueue<E> withCapacity(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be > 0 but was " + capacity);
        }
        return new BoundedQueue<>(capacity);
    }

    /**
     * The fixed capacity given at creation.
     *
     * @return the capacity
     */
    public int capacity() {
        return capacity;
    }

    // ------------------------------------------------------------------ slot and counter access

    private int index(long position) {
        return PAD + (int) (mask >= 0 ? position & mask : position % capacity);
    }

    private long head() {
        return head;
    }

    private long tail() {
        return tail;
    }

    /** The sequence of a slot free for the producer of {@code position}. */
    private static long free(long position) {
        return position << 1;
    }

    /** The sequence of a slot holding the element of {@code position}. */
    private static long full(long position) {
        return (position << 1) + 1;
    }

    private long sequence(int index) {
        return (long) LONGS.getAcquire(sequences, index);
    }

    // ------------------------------------------------------------------ non-blocking fast path

    /**
     * Inserts an element if there is room now.
     *
     * @param e the element
     * @return {@code true} if inserted, {@code false} if the queue was full
     * @throws NullPointerException if {@code e} is null
     */
    @Override
    public boolean offer(E e) {
        Objects.requireNonNull(e, "e");
        if (!tryOffer(e)) {
            return false;
        }
        signalNotEmpty();
        return true;
    }

    private boolean tryOffer(Object e) {
        int spins = 0;
        for (; ; ) {
            long position = tail();
            int index = index(position);
            long difference = sequence(index) - free(position);
            if (difference == 0) {
                if (TAIL.compareAndSet(this, position, position + 1)) {
                    REFS.setRelease(elements, index, e);
                    LONGS.setRelease(sequences, index, full(position));
                    return true;
                }
            } else if (difference < 0) {
                // The slot still holds the element of position - capacity: really full, or its consumer
                // has claimed it and is about to release the slot (then wait for it, as it is not full).
                if (position - capacity >= head()) {
                    return false;
                }
                spins = backOff(spins);
            }
            // difference > 0: another producer took this position; reload the tail.
        }
    }

    /**
     * Takes the head element if there is one now.
     *
     * @return the head element, or {@code null} if the queue was empty
     */
    @Override
    public E poll() {
        Object e = tryPoll();
        if (e == null) {
            return null;
        }
        @SuppressWarnings("unchecked")
        E element = (E) e;
        return element;
    }

    private Object tryPoll() {
        return tryPoll(false);
    }

    /**
     * Takes the head element. {@code relaxed}: report "nothing now" as soon as the head slot is not yet
     * filled, without reading {@code tail}; spinning consumers use it so that they only watch the head slot
     * and leave the producers' {@code tail} cache line alone.
     */
    private Object tryPoll(boolean relaxed) {
        int spins = 0;
        for (; ; ) {
            long position = head();
            int index = index(position);
            long difference = sequence(index) - full(position);
            if (difference == 0) {
                if (HEAD.compareAndSet(this, position, position + 1)) {
                    assert probe(ProbePoint.CONSUMER_CLAIMED);
                    Object e = takeClaimed(index, removersActive());
                    LONGS.setRelease(sequences, index, free(position + capacity));
                    signalNotFull();
                    if (e != TOMBSTONE) {
                        return e;
                    }
                    TOMBSTONES.getAndAdd(this, -1L);
                    spins = 0;
                    continue;
                }
            } else if (difference < 0) {
                // Empty, or a producer claimed this position and has not yet published its element.
                if (relaxed || position >= tail()) {
                    return null;
                }
                spins = backOff(spins);
            }
        }
    }

    /**
     * Takes up to {@code max} elements with one CAS on {@code head}, for consumers that run tiny tasks: it
     * spares them a CAS each and keeps the slots' cache lines with one consumer. Takes at most a {@code 2 x
     * consumers}-th of the current depth (at least one element), so a short queue is still shared out.
     *
     * @return the number of elements stored at the start of {@code out}; 0 if the queue was empty or its head
     *     element not yet published by its producer (a strict {@link #poll()} tells the two apart)
     */
    int pollBatch(Object[] out, int max, int consumers) {
        for (; ; ) {
            long position = head();
            int index = index(position);
            long difference = sequence(index) - full(position);
            if (difference == 0) {
                int limit = 1;
                // Read the producers' tail (a line they write on every offer) only if a batch is possible.
                if (max > 1 && sequence(index(position + 1)) == full(position + 1)) {
                    long depth = tail() - position;
                    limit = (int) Math.max(1, Math.min(max, depth / (2L * consumers)));
                }
                int n = 1;
                while (n < limit && sequence(index(position + n)) == full(position + n)) {
                    n++;
                }
                // Positions [position, position + n) were all filled; the CAS makes them ours alone.
                if (HEAD.compareAndSet(this, position, position + n)) {
                    assert probe(ProbePoint.CONSUMER_CLAIMED);
                    int taken = 0;
                    boolean removers = removersActive();
                    for (int k = 0; k < n; k++) {
                        int slot = index(position + k);
                        Object e = takeClaimed(slot, removers);
                        LONGS.setRelease(sequences, slot, free(position + k + capacity));
                        if (e == TOMBSTONE) {
                            TOMBSTONES.getAndAdd(this, -1L);
                        } else {
                            out[taken++] = e;
                        }
                    }
                    for (int k = 0; k < n; k++) {
                        signalNotFull();
                    }
                    if (taken > 0) {
                        return taken;
                    }
                }
            } else if (difference < 0) {
                // Empty, or the producer of this position has not published it yet: either way nothing to
                // take now (relaxed, as in tryPoll(true)); callers fall back to a strict poll before waiting.
                return 0;
            }
        }
    }

    /**
     * Read by a consumer after its CAS on {@code head}: whether a remover may be about to replace an element
     * by a tombstone (see {@link #tombstone}); if not, the claimed slots are the consumer's alone.
     */
    private boolean removersActive() {
        return removers != 0;
    }

    /**
     * Takes the element out of a slot whose position this consumer claimed. Without a remover about, a plain
     * read and write suffice (the sequence's acquire load ordered the element's publication before them, and
     * the release store of the sequence that follows orders the clearing); with one, an atomic exchange
     * decides between this consumer and the remover's CAS.
     */
    private Object takeClaimed(int index, boolean removers) {
        if (removers) {
            return REFS.getAndSet(elements, index, (Object) null);
        }
        Object e = REFS.get(elements, index);
        assert probe(ProbePoint.CONSUMER_READ);
        REFS.set(elements, index, (Object) null);
        return e;
    }

    private static int backOff(int spins) {
        if (spins < YIELD_AFTER_SPINS) {
            Thread.onSpinWait();
        } else {
            Thread.yield(); // a producer/consumer mid-operation was probably descheduled
        }
        return spins + 1;
    }

    /**
     * Returns the head element without removing it, or {@code null} if the queue is empty.
     *
     * @return the head element or {@code null}
     */
    @Override
    public E peek() {
        long position = head();
        long end = tail();
        for (; position < end; position++) {
            E e = elementAt(position);
            if (e != null) {
                return e;
            }
        }
        return null;
    }

    /** The element of {@code position} if it is still in the queue, else null. */
    private E elementAt(long position) {
        int index = index(position);
        if (sequence(index) != full(position)) {
            return null;
        }
        Object e = REFS.getAcquire(elements, index);
        if (e == null || e == TOMBSTONE || sequence(index) != full(position)) {
            return null;
        }
        @SuppressWarnings("unchecked")
        E element = (E) e;
        return element;
    }

    /**
     * Replaces the element of {@code position} by a tombstone if it is still {@code e}, then frees the slots
     * of tombstones at the head, so that removing the head element frees its slot at once.
     */
    private boolean tombstone(long position, Object e) {
        int index = index(position);
        boolean removed;
        // Announce the removal before reading head: a consumer that claims this position after that read
        // sees the announcement (its read of REMOVERS follows its CAS on head) and takes the element with
        // an exchange, so exactly one of its exchange and the CAS below obtains the element.
        REMOVERS.getAndAdd(this, 1L);
        try {
            assert probe(ProbePoint.REMOVER_ANNOUNCED);
            if (head() <= position && sequence(index) == full(position)) {
                assert probe(ProbePoint.REMOVER_CHECKED);
                removed = REFS.compareAndSet(elements, index, e, TOMBSTONE);
            } else {
                removed = false;
            }
        } finally {
            REMOVERS.getAndAdd(this, -1L);
        }
        if (removed) {
            TOMBSTONES.getAndAdd(this, 1L);
            purgeHeadTombstones();
        }
        return removed;
    }

    /**
     * Consumes tombstones at the head. Safe against consumers: the head position is claimed by the same CAS a
     * consumer uses, and a tombstone never turns back into an element, so the claimed slot holds a tombstone.
     */
    private void purgeHeadTombstones() {
        for (; ; ) {
            long position = head();
            int index = index(position);
            if (sequence(index) != full(position) || REFS.getAcquire(elements, index) != TOMBSTONE) {
                return;
            }
            if (HEAD.compareAndSet(this, position, position + 1)) {
                REFS.setRelease(elements, index, (Object) null);
                LONGS.setRelease(sequences, index, free(position + capacity));
                TOMBSTONES.getAndAdd(this, -1L);
                signalNotFull();
            }
        }
    }

    // ------------------------------------------------------------------ size

    /**
     * The number of elements in the queue; exact when the queue is quiescent, a momentary value otherwise.
     *
     * @return the number of elements
     */
    @Override
    public int size() {
        long occupied = occupiedSlots() - tombstones;
        return (int) Math.max(0, Math.min(capacity, occupied));
    }

    /** {@code tail - head} from a consistent pair of reads. */
    private long occupiedSlots() {
        for (; ; ) {
            long before = head();
            long t = tail();
            if (head() == before) {
                return Math.max(0, Math.min(capacity, t - before));
            }
        }
    }

    /**
     * {@inheritDoc}
     *
     * @return {@code true} if the queue holds no element
     */
    @Override
    public boolean isEmpty() {
        return size() == 0;
    }

    /**
     * The number of slots a producer could fill now without blocking: the capacity minus the slots
     * occupied by elements and by not-yet-consumed tombstones of removed elements.
     *
     * @return the remaining capacity
     */
    @Override
    public int remainingCapacity() {
        return (int) (capacity - occupiedSlots());
    }

    // ------------------------------------------------------------------ blocking operations

    /**
     * Inserts an element, waiting for room if the queue is full.
     *
     * @param e the element
     * @throws InterruptedException if interrupted while waiting (the element is then not inserted)
     * @throws NullPointerException if {@code e} is null
     */
    @Override
    public void put(E e) throws InterruptedException {
        Objects.requireNonNull(e, "e");
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        if (!offer(e)) {
            await(false, e, false, 0L, null);
        }
    }

    /**
     * Inserts an element, waiting up to the given time for room if the queue is full.
     *
     * @param e the element
     * @param timeout how long to wait
     * @param unit the unit of {@code timeout}
     * @return {@code true} if inserted, {@code false} if the time elapsed first
     * @throws InterruptedException if interrupted while waiting (the element is then not inserted)
     * @throws NullPointerException if {@code e} or {@code unit} is null
     */
    @Override
    public boolean offer(E e, long timeout, TimeUnit unit) throws InterruptedException {
        Objects.requireNonNull(e, "e");
        long nanos = Objects.requireNonNull(unit, "unit").toNanos(timeout);
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        return offer(e) || (nanos > 0 && await(false, e, true, nanos, null) != null);
    }

    /**
     * Takes the head element, waiting for one if the queue is empty.
     *
     * @return the head element
     * @throws InterruptedException if interrupted while waiting
     */
    @Override
    public E take() throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        E e = poll();
        return e != null ? e : awaitPoll(false, 0L, null);
    }

    /**
     * Takes the head element, waiting up to the given time for one if the queue is empty.
     *
     * @param timeout how long to wait
     * @param unit the unit of {@code timeout}
     * @return the head element, or {@code null} if the time elapsed first
     * @throws InterruptedException if interrupted while waiting
     * @throws NullPointerException if {@code unit} is null
     */
    @Override
    public E poll(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = Objects.requireNonNull(unit, "unit").toNanos(timeout);
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        E e = poll();
        return e != null || nanos <= 0 ? e : awaitPoll(true, nanos, null);
    }

    /**
     * Waits for an element like {@link #poll(long, TimeUnit)}, and also returns {@code null} once {@code
     * stop} is true while the queue is empty. {@link #wakeAllConsumers()} makes waiting consumers re-check
     * {@code stop}: a consumer tests it only after registering, so a stop signalled by a volatile write
     * followed by {@code wakeAllConsumers()} is never missed.
     */
    E pollOrStop(boolean timed, long nanos, BooleanSupplier stop) throws InterruptedException {
        E e = poll();
        return e != null ? e : awaitPoll(timed, nanos, stop);
    }

    private E awaitPoll(boolean timed, long nanos, BooleanSupplier stop) throws InterruptedException {
        @SuppressWarnings("unchecked")
        E e = (E) await(true, null, timed, nanos, stop);
        return e;
    }

    /** Wakes every consumer parked in a blocking operation (they re-check the queue and their stop test). */
    void wakeAllConsumers() {
        notEmpty.signalAll();
    }

    /**
     * Wakes a parked consumer after an element was published, unless a consumer is spinning: that one will
     * take the element, and {@link #propagateWakeUp} when it stops spinning hands any surplus to a parked
     * consumer. This keeps wake-up system calls off the producers' path while consumers keep up.
     */
    private void signalNotEmpty() {
        if (notEmptyWaiters != 0 && spinningConsumers == 0) {
            notEmpty.signalOne();
        }
    }

    /** The same for a parked producer after a slot was freed. */
    private void signalNotFull() {
        if (notFullWaiters != 0 && spinningProducers == 0) {
            notFull.signalOne();
        }
    }

    /**
     * Called by a waiter of one side that stopped spinning (having succeeded, or about to park) and by a
     * woken waiter that succeeded: if the queue still has elements (consumers) or room (producers) and
     * waiters of that side are parked with nobody spinning, wake one. Every element (free slot) whose
     * producer (consumer) skipped the wake-up because it saw a spinner was published before that spinner's
     * volatile write ending its spin, so the spinner's check here sees it.
     */
    private void propagateWakeUp(boolean consumer) {
        WaitList list = consumer ? notEmpty : notFull;
        if (list.count() != 0 && (consumer ? spinningConsumers : spinningProducers) == 0 && !blocked(consumer)) {
            list.signalOne();
        }
    }

    /** Whether a consumer (producer) would find the queue empty (full) now, claimed positions included. */
    private boolean blocked(boolean consumer) {
        long t = tail();
        return consumer ? t <= head() : t - head() >= capacity;
    }

    /**
     * One attempt of the operation: the element taken (consumer) or {@code e} once offered (producer), or
     * null if the queue is empty (full). {@code relaxed}: see {@link #tryPoll(boolean)}.
     */
    private Object attempt(boolean consumer, Object e, boolean relaxed) {
        if (consumer) {
            return tryPoll(relaxed);
        }
        if (tryOffer(e)) {
            signalNotEmpty();
            return e;
        }
        return null;
    }

    /**
     * The blocking path of both sides: {@code put}/timed {@code offer} ({@code consumer == false}, offering
     * {@code e}) and {@code take}/timed {@code poll}. First, if no other thread of the same side is spinning,
     * spin ({@link #spin}); then register as a waiter, re-check, and park until signalled, interrupted or out
     * of time.
     *
     * @return the element taken, or {@code e} once offered; null if the time elapsed or {@code stop} (for
     *     consumers, tested after registering) returned true
     */
    private Object await(boolean consumer, Object e, boolean timed, long nanos, BooleanSupplier stop)
            throws InterruptedException {
        long deadline = timed ? System.nanoTime() + nanos : 0L;
        Object done = null;
        // At most one thread per side spins at a time: more would only take processor time from the other side.
        VarHandle spinning = consumer ? SPINNING_CONSUMERS : SPINNING_PRODUCERS;
        if (spinning.compareAndSet(this, 0L, 1L)) {
            try {
                done = spin(consumer, e, timed ? Math.min(nanos, SPIN_NANOS) : SPIN_NANOS);
            } finally {
                spinning.setVolatile(this, 0L);
            }
            propagateWakeUp(consumer);
            if (done != null) {
                return done;
            }
        }
        WaitList list = consumer ? notEmpty : notFull;
        Waiter waiter = null;
        int spins = 0;
        try {
            for (; ; ) {
                done = attempt(consumer, e, false);
                if (done != null) {
                    propagateWakeUp(consumer);
                    return done;
                }
                if (waiter == null || waiter.signalled) {
                    waiter = list.register(); // then re-check before parking
                    continue;
                }
                if (stop != null && stop.getAsBoolean()) {
                    return null;
                }
                // Registered, and the attempt failed after registering: park only if really empty (full).
                if (!blocked(consumer)) {
                    spins = backOff(spins); // another thread claimed a position and is completing it
                    continue;
                }
                if (timed) {
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0) {
                        return null;
                    }
                    LockSupport.parkNanos(this, remaining);
                } else {
                    LockSupport.park(this);
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
        } finally {
            if (waiter != null) {
                list.leave(waiter, done != null);
            }
        }
    }

    /**
     * The spinning waiter's wait: {@link #SPINS} busy spins, then {@link Thread#yield()}s (which hand the
     * processor to the other side when threads outnumber processors), until the operation succeeds or {@code
     * budgetNanos} passed. A spinning consumer watches only the head slot. Returns null when the budget is
     * spent or the thread is interrupted.
     */
    private Object spin(boolean consumer, Object e, long budgetNanos) {
        for (int i = 0; i < SPINS; i++) {
            Thread.onSpinWait();
            Object done = attempt(consumer, e, true);
            if (done != null) {
                return done;
            }
        }
        long start = System.nanoTime();
        long before = start;
        for (; ; ) {
            Thread.yield();
            Object done = attempt(consumer, e, true);
            if (done != null) {
                return done;
            }
            long now = System.nanoTime();
            // A yield that took long means other threads wanted this processor (we were descheduled): the
            // machine is oversubscribed, and a spinner that keeps its flag while off the processor only stops
            // the other side from waking a parked thread that could do the work. Park instead.
            if (now - before >= DESCHEDULED_NANOS
                    || now - start >= budgetNanos
                    || Thread.currentThread().isInterrupted()) {
                return null;
            }
            before = now;
        }
    }

    // ------------------------------------------------------------------ bulk and scanning operations

    /**
     * {@inheritDoc}
     *
     * @param c the collection to transfer elements into
     * @return the number of elements transferred
     */
    @Override
    public int drainTo(Collection<? super E> c) {
        return drainTo(c, Integer.MAX_VALUE);
    }

    /**
     * {@inheritDoc}
     *
     * @param c the collection to transfer elements into
     * @param maxElements the maximum number of elements to transfer
     * @return the number of elements transferred
     */
    @Override
    public int drainTo(Collection<? super E> c, int maxElements) {
        Objects.requireNonNull(c, "c");
        if (c == this) {
            throw new IllegalArgumentException("cannot drain a queue into itself");
        }
        int n = 0;
        while (n < maxElements) {
            E e = poll();
            if (e == null) {
                break;
            }
            c.add(e);
            n++;
        }
        return n;
    }

    /**
     * Removes one element equal to {@code o}, by replacing it with a tombstone (see the class comment).
     *
     * @param o the element to remove
     * @return {@code true} if an element was removed
     */
    @Override
    public boolean remove(Object o) {
        if (o == null) {
            return false;
        }
        long end = tail();
        for (long position = head(); position < end; position++) {
            E e = elementAt(position);
            if (e != null && o.equals(e) && tombstone(position, e)) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@inheritDoc}
     *
     * @param o the element to look for
     * @return {@code true} if an element equal to {@code o} is in the queue
     */
    @Override
    public boolean contains(Object o) {
        if (o == null) {
            return false;
        }
        long end = tail();
        for (long position = head(); position < end; position++) {
            E e = elementAt(position);
            if (e != null && o.equals(e)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A weakly consistent iterator in FIFO order (see the class comment); supports {@link Iterator#remove()}.
     *
     * @return an iterator over the elements
     */
    @Override
    public Iterator<E> iterator() {
        return new Itr();
    }

    private final class Itr implements Iterator<E> {
        private final long end = tail();
        private long cursor = head();
        private E next;
        private long nextPosition;
        private E last;
        private long lastPosition = -1;

        @Override
        public boolean hasNext() {
            if (next != null) {
                return true;
            }
            cursor = Math.max(cursor, head());
            while (cursor < end) {
                long position = cursor++;
                E e = elementAt(position);
                if (e != null) {
                    next = e;
                    nextPosition = position;
                    return true;
                }
            }
            return false;
        }

        @Override
        public E next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            last = next;
            lastPosition = nextPosition;
            next = null;
            return last;
        }

        @Override
        public void remove() {
            if (last == null) {
                throw new IllegalStateException("next() has not been called, or remove() was already called");
            }
            tombstone(lastPosition, last); // false: consumed meanwhile, it is gone anyway
            last = null;
            lastPosition = -1;
        }
    }

    // ------------------------------------------------------------------ test probes

    /** Points of the consumer/remover hand-off where a test can hold a thread (see {@link #probe}). */
    enum ProbePoint {
        /** A consumer won the CAS on {@code head}, before it reads the removers count. */
        CONSUMER_CLAIMED,
        /** A consumer without a remover about read the element with a plain load, before clearing the slot. */
        CONSUMER_READ,
        /** A remover announced itself (removers count incremented), before it reads {@code head}. */
        REMOVER_ANNOUNCED,
        /** A remover found the position not yet consumed, before its CAS on the element. */
        REMOVER_CHECKED
    }

    /** Test hook called at a {@link ProbePoint}. */
    interface Probe {
        void at(ProbePoint point);
    }

    /** Set by tests before the queue is shared; only read from {@code assert} statements. */
    private volatile Probe probe;

    /** Installs a test hook; it is called only when assertions are enabled for this class (tests). */
    void probe(Probe hook) {
        this.probe = hook;
    }

    /**
     * Calls the test hook; used as {@code assert probe(point)}, so with assertions disabled (production) the
     * JIT removes the call and the read of the field along with the statement.
     */
    private boolean probe(ProbePoint point) {
        Probe hook = probe;
        if (hook != null) {
            hook.at(point);
        }
        return true;
    }

    // ------------------------------------------------------------------ waiters

    /** A thread parked on a {@link WaitList}. */
    private static final class Waiter {
        final Thread thread = Thread.currentThread();
        Waiter previous;
        Waiter next;
        boolean linked;
        /** Set (under the list's lock) when a signaller unlinked this waiter to wake it. */
        volatile boolean signalled;
    }

    /**
     * A FIFO list of parked threads; its lock guards the links, and the count (a padded field of the queue) is
     * written under the lock and read without it, so that the fast path costs one volatile load.
     */
    private final class WaitList {
        private final ReentrantLock lock = new ReentrantLock();
        private final boolean consumers;
        private Waiter first;
        private Waiter last;

        WaitList(boolean consumers) {
            this.consumers = consumers;
        }

        private long count() {
            return consumers ? notEmptyWaiters : notFullWaiters;
        }

        /** Written under the lock only. */
        private void setCount(long count) {
            if (consumers) {
                notEmptyWaiters = count;
            } else {
                notFullWaiters = count;
            }
        }

        Waiter register() {
            Waiter waiter = new Waiter();
            lock.lock();
            try {
                waiter.previous = last;
                if (last == null) {
                    first = waiter;
                } else {
                    last.next = waiter;
                }
                last = waiter;
                waiter.linked = true;
                setCount(count() + 1);
            } finally {
                lock.unlock();
            }
            return waiter;
        }

        private void unlink(Waiter waiter) {
            if (waiter.previous == null) {
                first = waiter.next;
            } else {
                waiter.previous.next = waiter.next;
            }
            if (waiter.next == null) {
                last = waiter.previous;
            } else {
                waiter.next.previous = waiter.previous;
            }
            waiter.previous = null;
            waiter.next = null;
            waiter.linked = false;
            setCount(count() - 1);
        }

        /** Called on the fast path after publishing an element (or freeing a slot). */
        void signalIfWaiting() {
            if (count() != 0) {
                signalOne();
            }
        }

        void signalOne() {
            Waiter waiter;
            lock.lock();
            try {
                waiter = first;
                if (waiter == null) {
                    return;
                }
                unlink(waiter);
                waiter.signalled = true;
            } finally {
                lock.unlock();
            }
            LockSupport.unpark(waiter.thread);
        }

        void signalAll() {
            while (count() != 0) {
                signalOne();
            }
        }

        /**
         * Deregisters a waiter that stops waiting. If it had been signalled but leaves without having
         * completed its operation, the wake-up is passed on to the next waiter.
         */
        void leave(Waiter waiter, boolean completed) {
            if (!waiter.signalled) {
                lock.lock();
                try {
                    if (waiter.linked) {
                        unlink(waiter);
                        return;
                    }
                } finally {
                    lock.unlock();
                }
            }
            if (!completed) {
                signalIfWaiting();
            }
        }
    }
}
