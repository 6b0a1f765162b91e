package io.infrablocks.pool;

import java.util.Objects;

/**
 * An immutable snapshot of a pool's state and counters, from {@link Pool#metrics()}. Counts are taken
 * without stopping the pool, so under load they are each exact but not necessarily from the same instant.
 *
 * @param name the pool's name
 * @param active resources leased out
 * @param idle resources ready to be leased (including those being checked by keepalive)
 * @param total resources that exist ({@code active + idle}), never more than the maximum size
 * @param waiting callers in the wait queue (counted once linked into it, until served, timed out or failed)
 * @param acquireWait time from {@code acquire} to getting a resource (zero on the uncontended path)
 * @param usageTime time from getting a resource to returning it
 * @param creationTime time to create a resource
 * @param acquired successful acquires
 * @param timeouts acquires that timed out
 * @param rejected acquires refused at once (wait queue full, or fail-fast while creation fails)
 * @param leaks leases held longer than the leak-detection threshold
 * @param created resources created
 * @param destroyed resources destroyed
 * @param creationFailures failed creation attempts
 * @param validationFailures resources discarded because validation failed
 */
public record PoolMetrics(
        String name,
        int active,
        int idle,
        int total,
        int waiting,
        Distribution acquireWait,
        Distribution usageTime,
        Distribution creationTime,
        long acquired,
        long timeouts,
        long rejected,
        long leaks,
        long created,
        long destroyed,
        long creationFailures,
        long validationFailures) {

    /** Validates the components. */
    public PoolMetrics {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(acquireWait, "acquireWait");
        Objects.requireNonNull(usageTime, "usageTime");
        Objects.requireNonNull(creationTime, "creationTime");
    }
}
