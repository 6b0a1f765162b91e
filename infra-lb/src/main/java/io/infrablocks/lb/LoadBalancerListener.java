package io.infrablocks.lb;

import java.time.Duration;

/**
 * Optional callbacks on rare events (never on the pick path). All methods default to no-op; they run on the
 * thread that caused the event (a completing caller or a health-check thread) and must not block.
 */
public interface LoadBalancerListener {

    /**
     * Passive outlier detection ejected an endpoint.
     *
     * @param endpoint the endpoint
     * @param duration how long it stays ejected
     * @param reason e.g. {@code "5 consecutive failures"}
     */
    default void onEjected(Endpoint endpoint, Duration duration, String reason) {}

    /**
     * An ejected endpoint's ejection time passed and it takes picks again.
     *
     * @param endpoint the endpoint
     */
    default void onRestored(Endpoint endpoint) {}

    /**
     * An active health check changed an endpoint's state.
     *
     * @param endpoint the endpoint
     * @param up true when it came back (rise), false when it went down (fall)
     */
    default void onHealthChanged(Endpoint endpoint, boolean up) {}

    /**
     * A sticky key moved to another endpoint.
     *
     * @param key the sticky key
     * @param from the endpoint it was bound to
     * @param to the endpoint it is bound to now
     */
    default void onRebound(String key, Endpoint from, Endpoint to) {}

    /**
     * Panic mode started or ended.
     *
     * @param panic true when it started
     * @param healthy endpoints healthy at that moment
     * @param total endpoints not draining
     */
    default void onPanic(boolean panic, int healthy, int total) {}
}
