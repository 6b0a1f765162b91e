package io.infrablocks.pool;

import java.time.Duration;

/**
 * A pool of resources (e.g. database connections) with a strict FIFO wait queue: when callers wait, a
 * returned or new resource goes to the one that has waited longest, and a caller arriving meanwhile never
 * overtakes them (unless built with {@link PoolBuilder#fair(boolean) fair(false)}, the opt-in barging
 * throughput mode). Built with {@link #builder(ResourceFactory)}.
 *
 * <pre>{@code
 * Pool<Session> pool = Pool.builder(sessionFactory).name("orders").maxSize(10)
 *         .acquireTimeout(Duration.ofMillis(250)).build();
 * try (Lease<Session> lease = pool.acquire()) {
 *     lease.get().send(message);
 * }
 * }</pre>
 *
 * @param <T> the resource type
 */
public interface Pool<T> extends AutoCloseable {

    /**
     * Starts building a pool over {@code factory}.
     *
     * @param factory creates, validates and destroys the resources
     * @param <T> the resource type
     * @return a builder with the defaults listed on {@link PoolBuilder}
     */
    static <T> PoolBuilder<T> builder(ResourceFactory<T> factory) {
        return new PoolBuilder<>(factory);
    }

    /**
     * The pool's name, used in messages, logs and thread names.
     *
     * @return the name
     */
    String name();

    /**
     * Borrows a resource, waiting at most the configured {@link PoolBuilder#acquireTimeout(Duration)}.
     *
     * @return a lease to close when done
     * @throws PoolExhaustedException on timeout or when the wait queue is full
     * @throws ResourceCreationException with fail-fast, when no resource is idle and creation fails
     * @throws PoolClosedException when the pool is closed
     * @throws PoolException when the waiting thread is interrupted (its interrupt flag stays set)
     */
    Lease<T> acquire();

    /**
     * Borrows a resource, waiting at most {@code timeout}; zero means "only if one is free now".
     *
     * @param timeout the longest wait
     * @return a lease to close when done
     * @throws PoolExhaustedException on timeout or when the wait queue is full
     * @throws ResourceCreationException with fail-fast, when no resource is idle and creation fails
     * @throws PoolClosedException when the pool is closed
     * @throws PoolException when the waiting thread is interrupted (its interrupt flag stays set)
     */
    Lease<T> acquire(Duration timeout);

    /**
     * A snapshot of the pool's state and counters.
     *
     * @return the metrics
     */
    PoolMetrics metrics();

    /**
     * Recycles every resource, e.g. after a database failover: idle ones are destroyed now, leased ones
     * when returned; new ones are created on demand and up to the minimum idle count.
     */
    void evictAll();

    /**
     * Closes the pool with the configured {@link PoolBuilder#closeTimeout(Duration)}; see {@link
     * #close(Duration)}.
     */
    @Override
    void close();

    /**
     * Stops handing out resources (waiters get {@link PoolClosedException}), destroys idle resources,
     * waits up to {@code timeout} for leases to come back, then destroys the rest and stops the pool's
     * threads. Idempotent; logs at WARN what it could not finish.
     *
     * @param timeout how long to wait for outstanding leases
     * @return true when every lease came back in time
     */
    boolean close(Duration timeout);
}
