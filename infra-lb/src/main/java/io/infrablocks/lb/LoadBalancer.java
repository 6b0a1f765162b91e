package io.infrablocks.lb;

import io.infrablocks.lb.internal.DefaultLoadBalancer;
import io.infrablocks.lb.internal.LbConfig;
import io.infrablocks.lb.internal.NamedThreadFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * A client-side load balancer over a changing set of {@link Endpoint}s. Built once with {@link #builder()};
 * {@link #pick(Request)} is lock-free and allocation-free, membership changes never block it, and the
 * caller completes every pick through the returned {@link Selection}.
 *
 * <pre>{@code
 * try (LoadBalancer lb = LoadBalancer.builder()
 *         .endpoints(Endpoint.of("a", "10.0.0.1", 8080), Endpoint.of("b", "10.0.0.2", 8080))
 *         .strategy(Strategy.p2cEwma())
 *         .build()) {
 *     Selection s = lb.pick(Request.none());
 *     long start = System.nanoTime();
 *     boolean ok = call(s.endpoint());
 *     s.complete(ok, System.nanoTime() - start);
 * }
 * }</pre>
 */
public interface LoadBalancer extends AutoCloseable {

    /**
     * Starts the configuration of a balancer.
     *
     * @return a builder
     */
    static Builder builder() {
        return new Builder();
    }

    /**
     * Chooses an endpoint for one call. With sticky sessions on and a request key, the key's bound endpoint
     * is returned while it is available; otherwise the strategy decides, failing over to its next candidate
     * past draining, ejected and down endpoints.
     *
     * @param request the request, {@link Request#none()} when it has no key
     * @return the selection to complete exactly once
     * @throws NoAvailableEndpointException when no endpoint may take the call
     * @throws IllegalStateException after {@link #close()}
     */
    Selection pick(Request request);

    /**
     * Chooses an endpoint for a call without a key; same as {@code pick(Request.none())}.
     *
     * @return the selection to complete exactly once
     * @throws NoAvailableEndpointException when no endpoint may take the call
     * @throws IllegalStateException after {@link #close()}
     */
    default Selection pick() {
        return pick(Request.none());
    }

    /**
     * Adds an endpoint (in slow start when configured). Never blocks a pick.
     *
     * @param endpoint the endpoint; its id must be new
     * @throws IllegalArgumentException when an endpoint with that id exists
     */
    void addEndpoint(Endpoint endpoint);

    /**
     * Removes an endpoint at once; its in-flight calls may still complete. Drain first for a graceful
     * removal. Never blocks a pick.
     *
     * @param id the endpoint's id
     * @return false when there was no such endpoint
     */
    boolean removeEndpoint(String id);

    /**
     * Replaces the endpoint of the same id (new weight, address or metadata), keeping its state.
     *
     * @param endpoint the new version
     * @throws IllegalArgumentException when no endpoint has that id
     */
    void updateEndpoint(Endpoint endpoint);

    /**
     * Stops giving new picks to an endpoint; its in-flight calls finish ({@link #awaitDrained}).
     *
     * @param id the endpoint's id
     * @throws IllegalArgumentException when no endpoint has that id
     */
    void drain(String id);

    /**
     * Ends draining: the endpoint takes picks again (through slow start when configured).
     *
     * @param id the endpoint's id
     * @throws IllegalArgumentException when no endpoint has that id
     */
    void undrain(String id);

    /**
     * Waits until a draining endpoint has no call in flight (blue/green and rolling deploys: drain, await,
     * deploy, undrain or remove).
     *
     * @param endpoint the endpoint (matched by id)
     * @param timeout the longest to wait, measured on the balancer's clock ({@link Builder#clock}); with a
     *     virtual clock the waiter re-reads it at least every 10 ms of real time
     * @return true when drained, false when the timeout passed first
     * @throws InterruptedException when interrupted while waiting
     * @throws IllegalArgumentException when no endpoint has that id
     * @throws IllegalStateException when the endpoint is not draining
     */
    boolean awaitDrained(Endpoint endpoint, Duration timeout) throws InterruptedException;

    /**
     * Returns the current endpoints in membership order.
     *
     * @return an immutable list
     */
    List<Endpoint> endpoints();

    /**
     * Returns the strategy.
     *
     * @return the strategy this balancer was built with
     */
    Strategy strategy();

    /**
     * Returns an immutable snapshot of the state of every endpoint.
     *
     * @return the snapshot
     */
    LoadBalancerStats stats();

    /** Stops the health checks (bounded in time) and makes later picks fail; idempotent. */
    @Override
    void close();

    /** Configures a {@link LoadBalancer}; settings are validated by {@link #build()}. */
    final class Builder {
        private static final AtomicInteger INSTANCES = new AtomicInteger();

        private String name;
        private final List<Endpoint> endpoints = new ArrayList<>();
        private Strategy strategy = Strategy.p2cEwma();
        private LongSupplier clock = LbConfig.SYSTEM_CLOCK;
        private RandomGenerator random;
        private ThreadFactory threadFactory;
        private HealthCheck healthCheck;
        private OutlierDetection outlierDetection = OutlierDetection.defaults();
        private double panicThresholdPercent = 50;
        private Duration slowStart = Duration.ZERO;
        private boolean sticky;
        private int stickyMaxEntries;
        private Duration stickyTtl = Duration.ZERO;
        private Duration ewmaDecay = Duration.ofSeconds(10);
        private LoadBalancerListener listener;

        private Builder() {}

        /**
         * Names the balancer (in logs, exceptions and thread names {@code infra-lb-<name>-<n>}).
         *
         * @param value a short name, default a sequence number
         * @return this builder
         */
        public Builder name(String value) {
            this.name = Objects.requireNonNull(value, "name");
            return this;
        }

        /**
         * Adds initial endpoints.
         *
         * @param values endpoints with distinct ids
         * @return this builder
         */
        public Builder endpoints(Endpoint... values) {
            return endpoints(Arrays.asList(Objects.requireNonNull(values, "endpoints")));
        }

        /**
         * Adds initial endpoints.
         *
         * @param values endpoints with distinct ids
         * @return this builder
         */
        public Builder endpoints(Collection<Endpoint> values) {
            Objects.requireNonNull(values, "endpoints");
            for (Endpoint e : values) {
                endpoints.add(Objects.requireNonNull(e, "endpoint"));
            }
            return this;
        }

        /**
         * Sets the strategy (default {@link Strategy#p2cEwma()}).
         *
         * @param value the strategy
         * @return this builder
         */
        public Builder strategy(Strategy value) {
            this.strategy = Objects.requireNonNull(value, "strategy");
            return this;
        }

        /**
         * Sets the nanosecond time source used for ejection, slow start, sticky TTL and EWMA (default
         * {@link System#nanoTime()}); tests and simulators inject a virtual clock.
         *
         * @param value the clock
         * @return this builder
         */
        public Builder clock(LongSupplier value) {
            this.clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * Sets the random source of the random strategies (default {@link
         * java.util.concurrent.ThreadLocalRandom}). A seeded generator makes a single-threaded run
         * reproducible; it must be thread-safe when picks are concurrent.
         *
         * @param value the generator
         * @return this builder
         */
        public Builder random(RandomGenerator value) {
            this.random = Objects.requireNonNull(value, "random");
            return this;
        }

        /**
         * Replaces the factory of the health-check threads and of the peak-EWMA clock ticker (default: daemon
         * threads named {@code
         * infra-lb-<name>-<n>}).
         *
         * @param value the factory
         * @return this builder
         */
        public Builder threadFactory(ThreadFactory value) {
            this.threadFactory = Objects.requireNonNull(value, "threadFactory");
            return this;
        }

        /**
         * Turns on active health checks.
         *
         * @param value the settings
         * @return this builder
         */
        public Builder healthCheck(HealthCheck value) {
            this.healthCheck = Objects.requireNonNull(value, "healthCheck");
            return this;
        }

        /**
         * Sets passive outlier detection (default {@link OutlierDetection#defaults()}; {@link
         * OutlierDetection#disabled()} turns it off).
         *
         * @param value the settings
         * @return this builder
         */
        public Builder outlierDetection(OutlierDetection value) {
            this.outlierDetection = Objects.requireNonNull(value, "outlierDetection");
            return this;
        }

        /**
         * Sets the panic threshold: when fewer than this percentage of the (non-draining) endpoints are
         * healthy, picks ignore health and spread over all of them rather than overload the few (default 50,
         * as in Envoy; 0 turns panic mode off).
         *
         * @param percent in [0, 100]
         * @return this builder
         */
        public Builder panicThreshold(double percent) {
            this.panicThresholdPercent = percent;
            return this;
        }

        /**
         * Sets the slow-start window: an endpoint added at run time or recovering from ejection, health
         * failure or draining ramps its share linearly from 10 % to 100 % over this window (default zero:
         * off). Hash strategies ignore it (it would move keys).
         *
         * @param window &gt;= 0
         * @return this builder
         */
        public Builder slowStart(Duration window) {
            this.slowStart = Objects.requireNonNull(window, "slowStart");
            return this;
        }

        /**
         * Turns on session persistence: a request key stays bound to its endpoint for {@code ttl} after its
         * last use, in a table of at most {@code maxEntries} keys (oldest bindings evicted first). When the
         * bound endpoint is removed, draining, ejected or down, the key is rebound and the selection reports
         * {@link Selection#rebound()}.
         *
         * @param maxEntries &gt;= 1
         * @param ttl &gt; 0
         * @return this builder
         */
        public Builder stickySessions(int maxEntries, Duration ttl) {
            this.stickyMaxEntries = maxEntries;
            this.stickyTtl = Objects.requireNonNull(ttl, "ttl");
            this.sticky = true;
            return this;
        }

        /**
         * Sets the time constant of the peak-EWMA latency estimate (default 10 s, as in Finagle).
         *
         * @param value &gt; 0
         * @return this builder
         */
        public Builder ewmaDecay(Duration value) {
            this.ewmaDecay = Objects.requireNonNull(value, "ewmaDecay");
            return this;
        }

        /**
         * Sets the listener of rare events.
         *
         * @param value the listener
         * @return this builder
         */
        public Builder listener(LoadBalancerListener value) {
            this.listener = Objects.requireNonNull(value, "listener");
            return this;
        }

        /**
         * Validates the settings and builds the balancer (and starts its health checks when configured).
         *
         * @return the balancer
         * @throws IllegalArgumentException naming the setting and the value when one is out of range
         */
        public LoadBalancer build() {
            Set<String> ids = new HashSet<>();
            for (Endpoint e : endpoints) {
                if (!ids.add(e.id())) {
                    throw new IllegalArgumentException(
                            "endpoints must have distinct ids but '" + e.id() + "' appears twice");
                }
            }
            if (!(panicThresholdPercent >= 0 && panicThresholdPercent <= 100)) {
                throw new IllegalArgumentException(
                        "panicThreshold must be in [0, 100] but was " + panicThresholdPercent);
            }
            if (slowStart.isNegative()) {
                throw new IllegalArgumentException("slowStart must be >= 0 but was " + slowStart);
            }
            if (sticky && stickyMaxEntries < 1) {
                throw new IllegalArgumentException(
                        "stickySessions maxEntries must be >= 1 but was " + stickyMaxEntries);
            }
            if (sticky && (stickyTtl.isNegative() || stickyTtl.isZero())) {
                throw new IllegalArgumentException("stickySessions ttl must be > 0 but was " + stickyTtl);
            }
            if (ewmaDecay.isNegative() || ewmaDecay.isZero()) {
                throw new IllegalArgumentException("ewmaDecay must be > 0 but was " + ewmaDecay);
            }
            String n = name != null ? name : String.valueOf(INSTANCES.incrementAndGet());
            Strategy base = strategy.base();
            LbConfig config = new LbConfig(
                    n,
                    List.copyOf(endpoints),
                    strategy,
                    strategy.name(),
                    strategy.size(),
                    strategy.loadFactor(),
                    base == null ? null : base.name(),
                    base == null ? 0 : base.size(),
                    clock,
                    random,
                    threadFactory != null ? threadFactory : new NamedThreadFactory("infra-lb-" + n),
                    healthCheck,
                    outlierDetection,
                    panicThresholdPercent / 100.0,
                    slowStart.toNanos(),
                    stickyMaxEntries,
                    stickyTtl.toNanos(),
                    ewmaDecay.toNanos(),
                    listener != null ? listener : new LoadBalancerListener() {});
            return new DefaultLoadBalancer(config);
        }
    }
}
