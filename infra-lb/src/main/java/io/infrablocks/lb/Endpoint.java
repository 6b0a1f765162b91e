package io.infrablocks.lb;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Objects;

/**
 * One backend a {@link LoadBalancer} can pick: a stable id (the identity within a balancer), a network
 * address, a relative weight and free-form metadata. Immutable; re-weighting replaces the endpoint with a
 * copy of the same id ({@link LoadBalancer#updateEndpoint(Endpoint)}).
 */
public final class Endpoint {

    /** The largest accepted weight. */
    public static final int MAX_WEIGHT = 1_000_000;

    private final String id;
    private final InetSocketAddress address;
    private final int weight;
    private final Map<String, String> metadata;

    private Endpoint(String id, InetSocketAddress address, int weight, Map<String, String> metadata) {
        this.id = Objects.requireNonNull(id, "id");
        this.address = Objects.requireNonNull(address, "address");
        if (id.isEmpty()) {
            throw new IllegalArgumentException("id must not be empty");
        }
        if (weight < 1 || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException("weight must be in [1, " + MAX_WEIGHT + "] but was " + weight);
        }
        this.weight = weight;
        this.metadata = Map.copyOf(Objects.requireNonNull(metadata, "metadata"));
    }

    /**
     * Creates an endpoint of weight 1 without metadata.
     *
     * @param id the identity within a balancer, e.g. {@code "orders-1"}
     * @param address where the backend listens
     * @return the endpoint
     */
    public static Endpoint of(String id, InetSocketAddress address) {
        return new Endpoint(id, address, 1, Map.of());
    }

    /**
     * Creates an endpoint of weight 1 for an unresolved host and port (resolved when a probe connects).
     *
     * @param id the identity within a balancer
     * @param host host name or literal address
     * @param port port number
     * @return the endpoint
     */
    public static Endpoint of(String id, String host, int port) {
        return new Endpoint(
                id, InetSocketAddress.createUnresolved(Objects.requireNonNull(host, "host"), port), 1, Map.of());
    }

    /**
     * Creates an endpoint with every attribute.
     *
     * @param id the identity within a balancer
     * @param address where the backend listens
     * @param weight relative weight in [1, {@value #MAX_WEIGHT}]
     * @param metadata free-form labels (zone, version ...), copied
     * @return the endpoint
     */
    public static Endpoint of(String id, InetSocketAddress address, int weight, Map<String, String> metadata) {
        return new Endpoint(id, address, weight, metadata);
    }

    /**
     * Returns a copy with another weight.
     *
     * @param newWeight relative weight in [1, {@value #MAX_WEIGHT}]
     * @return the re-weighted endpoint, same id
     */
    public Endpoint withWeight(int newWeight) {
        return new Endpoint(id, address, newWeight, metadata);
    }

    /**
     * Returns a copy with other metadata.
     *
     * @param newMetadata free-form labels, copied
     * @return the endpoint, same id
     */
    public Endpoint withMetadata(Map<String, String> newMetadata) {
        return new Endpoint(id, address, weight, newMetadata);
    }

    /**
     * Returns the identity of this endpoint within a balancer.
     *
     * @return the id
     */
    public String id() {
        return id;
    }

    /**
     * Returns where the backend listens.
     *
     * @return the address, possibly unresolved
     */
    public InetSocketAddress address() {
        return address;
    }

    /**
     * Returns the relative weight.
     *
     * @return the weight, at least 1
     */
    public int weight() {
        return weight;
    }

    /**
     * Returns the metadata.
     *
     * @return an immutable map
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Endpoint)) {
            return false;
        }
        Endpoint other = (Endpoint) o;
        return weight == other.weight
                && id.equals(other.id)
                && address.equals(other.address)
                && metadata.equals(other.metadata);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, address, weight, metadata);
    }

    @Override
    public String toString() {
        return id + "@" + address.getHostString() + ":" + address.getPort() + (weight == 1 ? "" : " w=" + weight);
    }
}
