package io.infrablocks.lb;

import io.infrablocks.lb.internal.HttpProbe;
import io.infrablocks.lb.internal.TcpProbe;
import java.time.Duration;
import java.util.concurrent.ThreadFactory;

/**
 * One active health check of one endpoint, run on the balancer's health-check threads. A probe returns
 * true when the endpoint is healthy; false or any exception counts as a failed check.
 */
@FunctionalInterface
public interface HealthProbe {

    /**
     * Checks one endpoint once.
     *
     * @param endpoint the endpoint
     * @param timeout the longest the check may take
     * @return true when healthy
     * @throws Exception any failure, counted as unhealthy
     */
    boolean check(Endpoint endpoint, Duration timeout) throws Exception;

    /**
     * Called once by the balancer before the first check, with the factory of its health-check threads (a
     * probe that needs threads of its own takes them from here).
     *
     * @param threadFactory the balancer's thread factory
     */
    default void open(ThreadFactory threadFactory) {}

    /** Called once when the balancer closes; releases what {@link #open} acquired. */
    default void close() {}

    /**
     * A probe that opens a TCP connection to the endpoint's address and closes it.
     *
     * @return the probe
     */
    static HealthProbe tcp() {
        return new TcpProbe();
    }

    /**
     * A probe that sends {@code GET http://host:port<path>} with {@link java.net.http.HttpClient} and
     * counts a 2xx or 3xx status as healthy. Each call returns a new probe (one HTTP client per balancer).
     *
     * @param path the path, starting with {@code /}, e.g. {@code "/health"}
     * @return the probe
     */
    static HealthProbe http(String path) {
        return new HttpProbe(path);
    }
}
