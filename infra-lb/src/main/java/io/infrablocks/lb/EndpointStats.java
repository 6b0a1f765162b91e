package io.infrablocks.lb;

/**
 * An immutable view of one endpoint at the time of {@link LoadBalancer#stats()}.
 *
 * @param endpoint the endpoint
 * @param status its state
 * @param inFlight picks not yet completed
 * @param failures failed completions since it was added
 * @param ejections how many times passive outlier detection ejected it, less one for every whole base
 *     ejection time it has stayed in service since (the multiplier of its next ejection time)
 * @param costNanos the peak-EWMA latency estimate in nanoseconds (0 before the first sample, or when the
 *     strategy does not track latency)
 */
public record EndpointStats(
        Endpoint endpoint, EndpointStatus status, int inFlight, long failures, int ejections, long costNanos) {}
