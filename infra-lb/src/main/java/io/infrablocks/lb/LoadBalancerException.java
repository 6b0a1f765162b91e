package io.infrablocks.lb;

/** The base of the load balancer's exceptions, e.g. no endpoint available for a pick. */
public class LoadBalancerException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message what happened and the state involved
     */
    public LoadBalancerException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a cause.
     *
     * @param message what happened and the state involved
     * @param cause the underlying failure
     */
    public LoadBalancerException(String message, Throwable cause) {
        super(message, cause);
    }
}
