package io.infrablocks.pool;

/**
 * Creates, checks and destroys the resources a {@link Pool} holds (connections, sessions, channels).
 *
 * <p>The pool calls these methods from its own threads (creation, keepalive) and from the acquiring thread
 * (validation of a resource idle longer than the configured threshold). They may block; the pool never
 * calls them while holding a lock.
 *
 * @param <T> the resource type
 */
public interface ResourceFactory<T> {

    /**
     * Creates a resource. A failure is retried with backoff by the pool and, with {@link
     * PoolBuilder#failFast(boolean) fail-fast}, reported to acquirers at once.
     *
     * @return a new resource, never null
     * @throws Exception when the resource cannot be created (e.g. the database is down)
     */
    T create() throws Exception;

    /**
     * Checks that a resource is still usable. Called before handing out a resource that was idle longer
     * than {@link PoolBuilder#validateAfterIdle(java.time.Duration)}, and by the background keepalive.
     *
     * @param resource the resource to check
     * @return true when usable; false (or an exception) discards it
     * @throws Exception when the check fails; the resource is discarded
     */
    default boolean validate(T resource) throws Exception {
        return true;
    }

    /**
     * Releases a resource the pool discards (broken, expired, evicted, pool closed).
     *
     * @param resource the resource to destroy
     * @throws Exception logged at DEBUG and otherwise ignored
     */
    default void destroy(T resource) throws Exception {}
}
