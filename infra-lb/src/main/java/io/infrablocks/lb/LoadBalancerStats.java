package io.infrablocks.lb;

import java.util.List;

/**
 * An immutable snapshot of a balancer.
 *
 * @param name the balancer's name
 * @param strategy the strategy's name, e.g. {@code "p2c-ewma"}
 * @param panic whether panic mode is on (too few healthy endpoints: unhealthy ones are picked too)
 * @param stickySessions the number of sticky bindings held
 * @param endpoints one entry per endpoint, in membership order
 */
public record LoadBalancerStats(
        String name, String strategy, boolean panic, int stickySessions, List<EndpointStats> endpoints) {

    /**
     * Creates the snapshot.
     *
     * @param name the balancer's name
     * @param strategy the strategy's name
     * @param panic whether panic mode is on
     * @param stickySessions the number of sticky bindings held
     * @param endpoints one entry per endpoint, copied
     */
    public LoadBalancerStats {
        endpoints = List.copyOf(endpoints);
    }

    /**
     * Returns the sum of the in-flight counts.
     *
     * @return calls picked and not yet completed
     */
    public int inFlight() {
        int sum = 0;
        for (EndpointStats e : endpoints) {
            sum += e.inFlight();
        }
        return sum;
    }
}
