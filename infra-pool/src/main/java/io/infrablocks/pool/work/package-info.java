/**
 * A bounded work queue and a worker pool with explicit overflow policies.
 *
 * <p>{@link io.infrablocks.pool.work.BoundedQueue} is a fixed-capacity, lock-free (Vyukov) MPMC {@link
 * java.util.concurrent.BlockingQueue} that parks only when full or empty. {@link
 * io.infrablocks.pool.work.WorkerPool} is an {@link java.util.concurrent.ExecutorService} over it: a fixed or
 * bounded number of named daemon workers, an {@link io.infrablocks.pool.work.OverflowPolicy} (BLOCK, BLOCK
 * with timeout, REJECT, CALLER_RUNS, DROP_OLDEST), a handler for failing tasks, metrics with queue-wait and
 * run-time percentiles, a graceful shutdown that drains the queue, and an optional adaptive limit on the tasks
 * in flight ({@link io.infrablocks.pool.work.AdaptiveLimit}, TCP Vegas as in Netflix's concurrency-limits).
 *
 * <pre>{@code
 * BlockingQueue<Request> requests = BoundedQueue.withCapacity(1024);
 *
 * try (WorkerPool pool = WorkerPool.builder("orders")
 *         .workers(2, 8)
 *         .queueCapacity(10_000)
 *         .overflowPolicy(OverflowPolicy.CALLER_RUNS)
 *         .taskExceptionHandler((task, error) -> log.error("task {} failed", task, error))
 *         .build()) {
 *     Future<Receipt> receipt = pool.submit(() -> charge(order));
 *     WorkerPoolMetrics m = pool.metrics(); // queue depth, p50/p99 queue wait and run time, counters
 * }
 * }</pre>
 */
package io.infrablocks.pool.work;
