package io.infrablocks.lb;

/**
 * The result of {@link LoadBalancer#pick(Request)}: the chosen endpoint, which the caller completes exactly
 * once with the outcome of the call it made ({@link #success}, {@link #failure} or {@link #release}).
 * Completions feed least-connections (in-flight counts), least-response-time and P2C peak-EWMA (latency),
 * passive outlier detection (failures) and draining (in-flight reaching zero).
 *
 * <p><b>Allocation-free by design.</b> A selection is not a per-call object: it is a handle preallocated
 * once per endpoint and per thread stripe of the balancer (two each: one plain, one reporting {@link
 * #rebound()}), so a pick allocates nothing. It therefore carries no per-call state: the caller measures
 * the latency and passes it in, and several concurrent calls to the same endpoint from the same thread
 * return the same handle. A selection may be completed on any thread. Completing more times than picked
 * is detected when the endpoint's in-flight count would drop below zero ({@link IllegalStateException});
 * a missing completion leaks one in-flight unit (visible in {@link LoadBalancer#stats()}).
 */
public interface Selection {

    /**
     * Returns the chosen endpoint.
     *
     * @return the endpoint (its latest version if it was updated since)
     */
    Endpoint endpoint();

    /**
     * Tells whether this pick rebound a sticky key to a new endpoint because the previous one was removed,
     * draining, ejected or down.
     *
     * @return true when the session moved
     */
    boolean rebound();

    /**
     * Completes the call as successful.
     *
     * @param latencyNanos how long the call took, in nanoseconds (&gt;= 0)
     * @throws IllegalStateException when the endpoint has no call in flight (completed twice)
     */
    void success(long latencyNanos);

    /**
     * Completes the call as failed (counts toward passive outlier detection).
     *
     * @param latencyNanos how long the call took until it failed, in nanoseconds (&gt;= 0)
     * @throws IllegalStateException when the endpoint has no call in flight (completed twice)
     */
    void failure(long latencyNanos);

    /**
     * Completes the call with an outcome.
     *
     * @param succeeded whether the call succeeded
     * @param latencyNanos how long the call took, in nanoseconds (&gt;= 0)
     * @throws IllegalStateException when the endpoint has no call in flight (completed twice)
     */
    default void complete(boolean succeeded, long latencyNanos) {
        if (succeeded) {
            success(latencyNanos);
        } else {
            failure(latencyNanos);
        }
    }

    /**
     * Completes the call without an outcome (cancelled before it reached the endpoint, or the caller does
     * not track it): only the in-flight count changes.
     *
     * @throws IllegalStateException when the endpoint has no call in flight (completed twice)
     */
    void release();
}
