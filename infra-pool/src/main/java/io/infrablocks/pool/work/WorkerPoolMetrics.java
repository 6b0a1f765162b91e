package io.infrablocks.pool.work;

/**
 * An immutable snapshot of a {@link WorkerPool}'s state and counters, taken by {@link WorkerPool#metrics()}.
 * Counters are cumulative since the pool was built; latency percentiles cover every task that finished
 * since then (HdrHistogram, 2 significant digits).
 *
 * @param queueDepth tasks waiting in the queue
 * @param queueCapacity the queue's fixed capacity
 * @param workers live worker threads
 * @param completed tasks that finished running, normally or not (includes {@code failed} and {@code
 *     callerRuns})
 * @param failed tasks that threw
 * @param rejected tasks refused with a {@link java.util.concurrent.RejectedExecutionException}
 * @param dropped queued tasks dropped under {@link OverflowPolicy#DROP_OLDEST}
 * @param callerRuns tasks run by the submitting thread under {@link OverflowPolicy#CALLER_RUNS}
 * @param queueWaitP50Nanos median time from submission to start of run
 * @param queueWaitP99Nanos 99th percentile time from submission to start of run
 * @param runTimeP50Nanos median run time
 * @param runTimeP99Nanos 99th percentile run time
 */
public record WorkerPoolMetrics(
        int queueDepth,
        int queueCapacity,
        int workers,
        long completed,
        long failed,
        long rejected,
        long dropped,
        long callerRuns,
        long queueWaitP50Nanos,
        long queueWaitP99Nanos,
        long runTimeP50Nanos,
        long runTimeP99Nanos) {}
