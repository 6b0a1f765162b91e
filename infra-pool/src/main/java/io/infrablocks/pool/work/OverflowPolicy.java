package io.infrablocks.pool.work;

import java.time.Duration;
import java.util.Objects;

/**
 * What a {@link WorkerPool} does with a task when its queue is full: {@link #BLOCK}, {@link
 * #blockWithTimeout(Duration) BLOCK with timeout}, {@link #REJECT}, {@link #CALLER_RUNS} or {@link
 * #DROP_OLDEST}. Instances are immutable and compare equal by kind and timeout.
 */
public final class OverflowPolicy {

    /** The kinds of overflow policy. */
    public enum Kind {
        /** The submitting thread waits until the queue has room. */
        BLOCK,
        /** The submitting thread waits up to a timeout, then the task is rejected. */
        BLOCK_WITH_TIMEOUT,
        /** The task is rejected at once with a {@link java.util.concurrent.RejectedExecutionException}. */
        REJECT,
        /** The submitting thread runs the task itself (natural back-pressure). */
        CALLER_RUNS,
        /** The oldest queued task is dropped (its future fails) to make room for the new one. */
        DROP_OLDEST
    }

    /**
     * The submitting thread waits, without a time limit, until the queue has room. Interrupting it rejects
     * the task with a {@link java.util.concurrent.RejectedExecutionException} whose cause is the {@link
     * InterruptedException} (the interrupt status is restored).
     */
    public static final OverflowPolicy BLOCK = new OverflowPolicy(Kind.BLOCK, null);

    /**
     * The task is rejected at once with a {@link java.util.concurrent.RejectedExecutionException} stating
     * the queue depth and capacity.
     */
    public static final OverflowPolicy REJECT = new OverflowPolicy(Kind.REJECT, null);

    /** The submitting thread runs the task itself, which slows producers down to the pool's pace. */
    public static final OverflowPolicy CALLER_RUNS = new OverflowPolicy(Kind.CALLER_RUNS, null);

    /**
     * The oldest queued task is removed to make room: the future of a task given to {@code submit} fails
     * with a {@link TaskDroppedException}; a task given to {@code execute} is reported to the pool's {@link
     * TaskExceptionHandler} with that exception. A dropped task is never lost silently.
     */
    public static final OverflowPolicy DROP_OLDEST = new OverflowPolicy(Kind.DROP_OLDEST, null);

    private final Kind kind;
    private final Duration timeout;

    private OverflowPolicy(Kind kind, Duration timeout) {
        this.kind = kind;
        this.timeout = timeout;
    }

    /**
     * BLOCK with timeout: the submitting thread waits up to {@code timeout} for room, then the task is
     * rejected with a {@link java.util.concurrent.RejectedExecutionException} stating the queue depth,
     * capacity and the time waited.
     *
     * @param timeout the longest wait, positive
     * @return the policy
     * @throws IllegalArgumentException if {@code timeout} is zero or negative
     * @throws NullPointerException if {@code timeout} is null
     */
    public static OverflowPolicy blockWithTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be > 0 but was " + timeout);
        }
        return new OverflowPolicy(Kind.BLOCK_WITH_TIMEOUT, timeout);
    }

    /**
     * The kind of this policy.
     *
     * @return the kind
     */
    public Kind kind() {
        return kind;
    }

    /**
     * The wait limit of {@link Kind#BLOCK_WITH_TIMEOUT}, else {@link Duration#ZERO}.
     *
     * @return the timeout
     */
    public Duration timeout() {
        return timeout == null ? Duration.ZERO : timeout;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OverflowPolicy other && kind == other.kind && Objects.equals(timeout, other.timeout);
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + Objects.hashCode(timeout);
    }

    @Override
    public String toString() {
        return timeout == null ? kind.name() : "BLOCK with timeout " + timeout.toMillis() + " ms";
    }
}
