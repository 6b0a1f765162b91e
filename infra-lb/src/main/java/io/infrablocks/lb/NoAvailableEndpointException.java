package io.infrablocks.lb;

/** Thrown by {@link LoadBalancer#pick(Request)} when no endpoint may take the call; the message gives the state. */
public class NoAvailableEndpointException extends LoadBalancerException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the balancer and the count of endpoints per state
     */
    public NoAvailableEndpointException(String message) {
        super(message);
    }
}
