package io.infrablocks.pool.work;

/**
 * Optional events of a {@link WorkerPool}; every method defaults to a no-op, and a pool without a listener
 * does no work to produce them. Methods are called on the thread where the event happens (a worker for
 * completions, the submitter for rejections and drops) and must be fast and must not throw.
 */
public interface WorkerPoolListener {

    /**
     * A task finished running (normally or with an exception).
     *
     * @param queueWaitNanos time from submission to the start of its run
     * @param runNanos time it ran
     * @param failed whether it threw
     */
    default void onTaskCompleted(long queueWaitNanos, long runNanos, boolean failed) {}

    /**
     * A task was rejected (queue full, timed out waiting, or pool shut down).
     *
     * @param queueDepth the queue depth at the rejection
     * @param queueCapacity the queue capacity
     */
    default void onTaskRejected(int queueDepth, int queueCapacity) {}

    /**
     * A queued task was dropped under {@link OverflowPolicy#DROP_OLDEST}.
     *
     * @param task the dropped task (as given to {@code execute}, or the future of {@code submit})
     */
    default void onTaskDropped(Runnable task) {}
}
