package io.infrablocks.lb;

import java.util.List;
import java.util.Objects;

/**
 * How a {@link LoadBalancer} chooses among its endpoints. Each factory method documents its algorithm and
 * its source; the implementations live in {@code io.infrablocks.lb.internal}. Every strategy fails over:
 * when its choice is draining, ejected or down, it takes its own next candidate (the next in the rotation,
 * the next on the ring, the next-highest score ...).
 *
 * <p>{@link #name()} is the stable name used in metrics and by the simulator, e.g. {@code "p2c-ewma"}.
 */
public final class Strategy {

    /** The default Maglev lookup-table size (a prime, as in Envoy): 256 KB, for up to a few hundred endpoints. */
    public static final int DEFAULT_MAGLEV_TABLE_SIZE = 65_537;

    /**
     * The table size of {@link #consistentHash()}: a prime large enough that removing one of 100 endpoints
     * moves at most 1.1× the ideal share of keys (8 MB of table; a rebuild takes about 0.3 s).
     */
    public static final int RECOMMENDED_MAGLEV_TABLE_SIZE = 2_000_003;

    /** The default number of ring points per endpoint of average weight. */
    public static final int DEFAULT_RING_POINTS = 160;

    private final String name;
    private final int size;
    private final double loadFactor;
    private final Strategy base;

    private Strategy(String name, int size, double loadFactor, Strategy base) {
        this.name = name;
        this.size = size;
        this.loadFactor = loadFactor;
        this.base = base;
    }

    /**
     * Round-robin: endpoints in turn, ignoring weights. Each thread has its own rotation (as Envoy keeps one
     * per worker; threads beyond 2 × CPUs, at most 16, share one racily, see the README), so the rotation is
     * exact per thread. Pick: O(1).
     *
     * @return the strategy {@code round-robin}
     */
    public static Strategy roundRobin() {
        return new Strategy("round-robin", 0, 0, null);
    }

    /**
     * Smooth weighted round-robin as in nginx ({@code ngx_http_upstream_get_peer}, 2012): each step adds
     * every weight to its current value, picks the largest and subtracts the total from it. Weights
     * {5, 1, 1} give {@code a a b a c a a}. The period (total / gcd of the weights) is precomputed into a
     * schedule, walked by one position per thread (exact per thread over every period, as round-robin), so a
     * pick is O(1) and lock-free.
     *
     * @return the strategy {@code weighted-round-robin}
     */
    public static Strategy weightedRoundRobin() {
        return new Strategy("weighted-round-robin", 0, 0, null);
    }

    /**
     * Uniform random choice. Pick: O(1).
     *
     * @return the strategy {@code random}
     */
    public static Strategy random() {
        return new Strategy("random", 0, 0, null);
    }

    /**
     * Random choice proportional to the weights, by Vose's alias method (Vose, "A linear algorithm for
     * generating random numbers with a given distribution", IEEE TSE 1991). Pick: O(1).
     *
     * @return the strategy {@code weighted-random}
     */
    public static Strategy weightedRandom() {
        return new Strategy("weighted-random", 0, 0, null);
    }

    /**
     * Weighted least-connections: the endpoint with the fewest calls in flight per unit of weight (ties
     * broken by a random starting point). Pick: O(n).
     *
     * @return the strategy {@code least-connections}
     */
    public static Strategy leastConnections() {
        return new Strategy("least-connections", 0, 0, null);
    }

    /**
     * Least response time: the lowest peak-EWMA cost × (pending + 1), as in Finagle's and Linkerd's
     * "peak EWMA" load (an exponentially weighted moving average of latency that jumps to any higher
     * sample, decaying with time constant {@code ewmaDecay}). Pick: O(n).
     *
     * @return the strategy {@code least-response-time}
     */
    public static Strategy leastResponseTime() {
        return new Strategy("least-response-time", 0, 0, null);
    }

    /**
     * Power of two choices over outstanding requests: two random endpoints, the one with fewer calls in
     * flight per unit of weight (Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing",
     * 1996/2001). Each picking thread (stripe) compares the calls it has in flight itself, as an independent
     * P2C client (the way Finagle, Linkerd and Envoy run P2C); with one thread that is the global count.
     * Pick: O(1).
     *
     * @return the strategy {@code p2c-least-connections}
     */
    public static Strategy p2cLeastConnections() {
        return new Strategy("p2c-least-connections", 0, 0, null);
    }

    /**
     * Power of two choices over peak-EWMA cost × (pending + 1), the default of Finagle and Linkerd
     * ("Beyond Round Robin: Load Balancing for Latency", Buoyant 2016). As for {@link
     * #p2cLeastConnections()}, each picking thread (stripe) balances as its own client: its own calls
     * pending and its own latency estimate of each endpoint, fed by the completions of its picks. Pick:
     * O(1).
     *
     * @return the strategy {@code p2c-ewma}
     */
    public static Strategy p2cEwma() {
        return new Strategy("p2c-ewma", 0, 0, null);
    }

    /**
     * Plain key hash: {@code hash(key) mod n}. <b>Not consistent</b>: adding or removing one endpoint moves
     * almost every key. Pick: O(1).
     *
     * @return the strategy {@code key-hash}
     */
    public static Strategy keyHash() {
        return new Strategy("key-hash", 0, 0, null);
    }

    /**
     * Consistent hashing on a ring with virtual nodes (Karger et al., "Consistent Hashing and Random Trees",
     * STOC 1997; ketama's points per server), with {@link #DEFAULT_RING_POINTS} points per endpoint.
     *
     * @return the strategy {@code ring-hash}
     */
    public static Strategy ringHash() {
        return ringHash(DEFAULT_RING_POINTS);
    }

    /**
     * Consistent hashing on a ring with virtual nodes (Karger et al. 1997, ketama). An endpoint of average
     * weight gets {@code pointsPerEndpoint} points, others proportionally. Removing an endpoint moves only
     * its keys. Pick: O(log(points)).
     *
     * @param pointsPerEndpoint points per endpoint of average weight, in [1, 100000]
     * @return the strategy {@code ring-hash}
     */
    public static Strategy ringHash(int pointsPerEndpoint) {
        if (pointsPerEndpoint < 1 || pointsPerEndpoint > 100_000) {
            throw new IllegalArgumentException("pointsPerEndpoint must be in [1, 100000] but was " + pointsPerEndpoint);
        }
        return new Strategy("ring-hash", pointsPerEndpoint, 0, null);
    }

    /**
     * Maglev hashing with the default table size {@link #DEFAULT_MAGLEV_TABLE_SIZE}.
     *
     * @return the strategy {@code maglev}
     */
    public static Strategy maglev() {
        return maglev(DEFAULT_MAGLEV_TABLE_SIZE);
    }

    /**
     * Maglev hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load Balancer", NSDI
     * 2016): each endpoint fills a prime-sized lookup table along its own permutation, so load is even to
     * within one slot and a pick is one table read; removing an endpoint moves its keys and a few others.
     * Weights set each endpoint's fill rate. Pick: O(1); rebuild: O(M log M).
     *
     * @param primeTableSize the table size, a prime in [7, 50000000], ideally &gt;= 100 × endpoints
     * @return the strategy {@code maglev}
     */
    public static Strategy maglev(int primeTableSize) {
        if (primeTableSize < 7 || primeTableSize > 50_000_000 || !isPrime(primeTableSize)) {
            throw new IllegalArgumentException(
                    "primeTableSize must be a prime in [7, 50000000] but was " + primeTableSize);
        }
        return new Strategy("maglev", primeTableSize, 0, null);
    }

    /**
     * Rendezvous (highest random weight) hashing (Thaler and Ravishankar, "Using Name-Based Mappings to
     * Increase Hit Rates", IEEE/ACM ToN 1998): the endpoint with the highest hash of (key, endpoint); with
     * weights, the highest {@code -w / ln(u)} (weighted rendezvous). Removing an endpoint moves only its
     * keys. Pick: O(n).
     *
     * @return the strategy {@code rendezvous}
     */
    public static Strategy rendezvous() {
        return new Strategy("rendezvous", 0, 0, null);
    }

    /**
     * Jump consistent hash (Lamping and Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm", 2014),
     * computed as JumpBackHash (Ertl, "JumpBackHash: Say Goodbye to the Modulo Operation to Distribute Keys
     * Uniformly to Buckets", 2024): the same kind of consistent mapping with integer bit operations only, no
     * table, O(1) expected per pick. It is minimal only when endpoints are added or removed at the end of
     * the membership order (shards numbered 0..n-1); removing another endpoint renumbers the ones after
     * it. Ignores weights.
     *
     * @return the strategy {@code jump}
     */
    public static Strategy jump() {
        return new Strategy("jump", 0, 0, null);
    }

    /**
     * The recommended consistent hash: {@link #maglev(int)} with {@link #RECOMMENDED_MAGLEV_TABLE_SIZE},
     * measured by the {@code churn} scenario of {@code LbSimulator} (100 endpoints, 10^6 keys) at peak/mean
     * &lt;= 1.05 and keys moved &lt;= 1.1× the ideal 1/n, with an O(1) pick. Smaller tables move more keys
     * (65537: about 1.55× ideal); {@link #rendezvous()} is exactly minimal with no table but O(n) per pick.
     *
     * @return the strategy {@code maglev}
     */
    public static Strategy consistentHash() {
        return maglev(RECOMMENDED_MAGLEV_TABLE_SIZE);
    }

    /**
     * Consistent hashing with bounded loads over {@link #maglev()} (the walk after a full endpoint goes
     * to the next table slot).
     *
     * @param loadFactor c &gt;= 1 (e.g. 1.25)
     * @return the strategy {@code bounded-load}
     */
    public static Strategy boundedLoad(double loadFactor) {
        return boundedLoad(maglev(), loadFactor);
    }

    /**
     * Consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam, "Consistent Hashing with
     * Bounded Loads", SODA 2018): no endpoint takes a call when it has {@code ⌈c × (m + 1) / n⌉} or more in
     * flight (m calls in flight in total, n available endpoints); the key walks to the next candidate of the
     * base table/ring instead. The cap is enforced with a compare-and-set on the in-flight count. Pick:
     * O(n) for the average plus the walk.
     *
     * @param base {@link #maglev(int)} or {@link #ringHash(int)}
     * @param loadFactor c in [1, 100]
     * @return the strategy {@code bounded-load}
     */
    public static Strategy boundedLoad(Strategy base, double loadFactor) {
        Objects.requireNonNull(base, "base");
        if (!base.name.equals("maglev") && !base.name.equals("ring-hash")) {
            throw new IllegalArgumentException("base must be maglev or ring-hash but was " + base.name);
        }
        if (!(loadFactor >= 1 && loadFactor <= 100)) {
            throw new IllegalArgumentException("loadFactor must be in [1, 100] but was " + loadFactor);
        }
        return new Strategy("bounded-load", 0, loadFactor, base);
    }

    /**
     * Returns the strategy of a name with its default parameters (the names of {@link #names()}).
     *
     * @param name e.g. {@code "p2c-ewma"}
     * @return the strategy
     * @throws IllegalArgumentException for an unknown name
     */
    public static Strategy named(String name) {
        switch (Objects.requireNonNull(name, "name")) {
            case "round-robin":
                return roundRobin();
            case "weighted-round-robin":
                return weightedRoundRobin();
            case "random":
                return random();
            case "weighted-random":
                return weightedRandom();
            case "least-connections":
                return leastConnections();
            case "least-response-time":
                return leastResponseTime();
            case "p2c-least-connections":
                return p2cLeastConnections();
            case "p2c-ewma":
                return p2cEwma();
            case "key-hash":
                return keyHash();
            case "ring-hash":
                return ringHash();
            case "maglev":
                return maglev();
            case "rendezvous":
                return rendezvous();
            case "jump":
                return jump();
            case "bounded-load":
                return boundedLoad(1.25);
            default:
                throw new IllegalArgumentException("unknown strategy '" + name + "'; known: " + names());
        }
    }

    /**
     * Returns the names {@link #named(String)} accepts.
     *
     * @return the names, in documentation order
     */
    public static List<String> names() {
        return List.of(
                "round-robin",
                "weighted-round-robin",
                "random",
                "weighted-random",
                "least-connections",
                "least-response-time",
                "p2c-least-connections",
                "p2c-ewma",
                "key-hash",
                "ring-hash",
                "maglev",
                "rendezvous",
                "jump",
                "bounded-load");
    }

    /**
     * Returns the stable name of this strategy.
     *
     * @return e.g. {@code "maglev"}
     */
    public String name() {
        return name;
    }

    /**
     * Tells whether this strategy maps request keys (the hash strategies).
     *
     * @return true for key-hash, ring-hash, maglev, rendezvous, jump and bounded-load
     */
    public boolean hashing() {
        switch (name) {
            case "key-hash":
            case "ring-hash":
            case "maglev":
            case "rendezvous":
            case "jump":
            case "bounded-load":
                return true;
            default:
                return false;
        }
    }

    int size() {
        return size;
    }

    double loadFactor() {
        return loadFactor;
    }

    Strategy base() {
        return base;
    }

    @Override
    public String toString() {
        if (base != null) {
            return name + "(c=" + loadFactor + ", " + base + ")";
        }
        return size == 0 ? name : name + "(" + size + ")";
    }

    static boolean isPrime(int n) {
        if (n < 2) {
            return false;
        }
        if (n % 2 == 0) {
            return n == 2;
        }
        for (int d = 3; (long) d * d <= n; d += 2) {
            if (n % d == 0) {
                return false;
            }
        }
        return true;
    }
}
