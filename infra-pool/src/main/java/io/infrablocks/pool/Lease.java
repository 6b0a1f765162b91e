package io.infrablocks.pool;

/**
 * A resource borrowed from a {@link Pool}. Use it in try-with-resources:
 *
 * <pre>{@code
 * try (Lease<Session> lease = pool.acquire()) {
 *     lease.get().send(message);
 * }
 * }</pre>
 *
 * <p>Rules (misuse is an {@link IllegalStateException}, never a silent corruption of the pool):
 *
 * <ul>
 *   <li>{@link #close()} returns the resource; a second {@code close()} throws {@link
 *       IllegalStateException} (the resource may already be someone else's).
 *   <li>{@link #invalidate()} discards a broken resource instead; a {@code close()} after {@code
 *       invalidate()} is a no-op, so try-with-resources stays natural.
 *   <li>{@link #get()} after {@code close()} or {@code invalidate()} throws {@link IllegalStateException}.
 * </ul>
 *
 * <p>A lease is meant for one thread at a time; it is safe to close it from another thread after a
 * hand-over with a happens-before edge.
 *
 * @param <T> the resource type
 */
public interface Lease<T> extends AutoCloseable {

    /**
     * The borrowed resource.
     *
     * @return the resource
     * @throws IllegalStateException when the lease was closed or invalidated
     */
    T get();

    /**
     * Returns the resource to the pool, where the longest-waiting caller gets it first.
     *
     * @throws IllegalStateException when the lease was already closed
     */
    @Override
    void close();

    /**
     * Discards the resource (it is destroyed, and the pool creates a replacement if it has demand).
     *
     * @throws IllegalStateException when the lease was already closed or invalidated
     */
    void invalidate();
}
