package io.infrablocks.lb;

/** The state of an endpoint as seen by {@link LoadBalancer#stats()}; the first that applies, in this order. */
public enum EndpointStatus {
    /** Gets no new picks; its in-flight calls finish ({@link LoadBalancer#drain(String)}). */
    DRAINING,
    /** Failed its active health check {@code fall} times in a row. */
    DOWN,
    /** Ejected by passive outlier detection until its ejection time passes. */
    EJECTED,
    /** Healthy and ramping up its share after being added or recovering. */
    SLOW_START,
    /** Healthy. */
    HEALTHY
}
