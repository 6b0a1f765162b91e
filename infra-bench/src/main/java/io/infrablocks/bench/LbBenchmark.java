package io.infrablocks.bench;

import io.infrablocks.lb.Endpoint;
import io.infrablocks.lb.LoadBalancer;
import io.infrablocks.lb.OutlierDetection;
import io.infrablocks.lb.Request;
import io.infrablocks.lb.Selection;
import io.infrablocks.lb.Strategy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one load-balancing decision for every strategy of infra-lb: {@code pick} plus the {@code
 * success} completion that every real call makes (in-flight accounting, outlier detection, EWMA feedback),
 * against {@link #baseline}, a random index into an array (the floor of any balancer).
 *
 * <p>Run with one and two threads and the allocation profiler:
 *
 * <pre>
 * java -jar infra-bench/target/benchmarks.jar LbBenchmark -t 1 -prof gc
 * java -jar infra-bench/target/benchmarks.jar LbBenchmark -t 2 -prof gc
 * </pre>
 *
 * Hash strategies receive keys from a per-thread ring of 4096 prebuilt {@link Request}s (building a
 * request hashes the key once; reusing it keeps the pick allocation-free).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class LbBenchmark {

    /** The number of endpoints. */
    @Param({"10", "100"})
    public int endpoints;

    private Endpoint[] array;
    private LoadBalancer roundRobin;
    private LoadBalancer weightedRoundRobin;
    private LoadBalancer random;
    private LoadBalancer weightedRandom;
    private LoadBalancer leastConnections;
    private LoadBalancer leastResponseTime;
    private LoadBalancer p2cLeastConnections;
    private LoadBalancer p2cEwma;
    private LoadBalancer keyHash;
    private LoadBalancer ringHash;
    private LoadBalancer maglev;
    private LoadBalancer consistentHash;
    private LoadBalancer rendezvous;
    private LoadBalancer jump;
    private LoadBalancer boundedLoad;

    /** Per-thread prebuilt keyed requests. */
    @State(Scope.Thread)
    public static class Keys {
        private final Request[] requests = new Request[4096];
        private int next;

        /** Builds the requests. */
        @Setup
        public void setup() {
            long seed = ThreadLocalRandom.current().nextLong();
            for (int i = 0; i < requests.length; i++) {
                requests[i] = Request.ofKey("session-" + seed + "-" + i);
            }
        }

        Request next() {
            return requests[next++ & (requests.length - 1)];
        }
    }

    /** Builds one balancer per strategy over the same endpoints (weights 1 to 5 for the weighted ones). */
    @Setup
    public void setup() {
        List<Endpoint> list = new ArrayList<>();
        for (int i = 0; i < endpoints; i++) {
            list.add(Endpoint.of("e" + i, "10.0." + (i / 250) + "." + (i % 250 + 1), 8080)
                    .withWeight(1 + i % 5));
        }
        array = list.toArray(new Endpoint[0]);
        roundRobin = build(list, Strategy.roundRobin());
        weightedRoundRobin = build(list, Strategy.weightedRoundRobin());
        random = build(list, Strategy.random());
        weightedRandom = build(list, Strategy.weightedRandom());
        leastConnections = build(list, Strategy.leastConnections());
        leastResponseTime = build(list, Strategy.leastResponseTime());
        p2cLeastConnections = build(list, Strategy.p2cLeastConnections());
        p2cEwma = build(list, Strategy.p2cEwma());
        keyHash = build(list, Strategy.keyHash());
        ringHash = build(list, Strategy.ringHash());
        maglev = build(list, Strategy.maglev());
        consistentHash = build(list, Strategy.consistentHash());
        rendezvous = build(list, Strategy.rendezvous());
        jump = build(list, Strategy.jump());
        boundedLoad = build(list, Strategy.boundedLoad(1.25));
    }

    private static LoadBalancer build(List<Endpoint> list, Strategy strategy) {
        return LoadBalancer.builder()
                .name("bench-" + strategy.name())
                .endpoints(list)
                .strategy(strategy)
                .outlierDetection(OutlierDetection.defaults())
                .build();
    }

    /** Closes the balancers. */
    @TearDown
    public void tearDown() {
        for (LoadBalancer lb : List.of(
                roundRobin,
                weightedRoundRobin,
                random,
                weightedRandom,
                leastConnections,
                leastResponseTime,
                p2cLeastConnections,
                p2cEwma,
                keyHash,
                ringHash,
                maglev,
                consistentHash,
                rendezvous,
                jump,
                boundedLoad)) {
            lb.close();
        }
    }

    private static Selection call(LoadBalancer lb, Request request) {
        Selection s = lb.pick(request);
        s.success(1_000_000);
        return s;
    }

    /**
     * The floor: a random index into an array of endpoints.
     *
     * @return the endpoint
     */
    @Benchmark
    public Endpoint baseline() {
        return array[ThreadLocalRandom.current().nextInt(array.length)];
    }

    /**
     * The floor of a keyed pick (not a target reference, added to read the hash strategies): the next
     * prebuilt request of the thread's ring, its hash mapped to an index into the array by a multiply-shift,
     * as {@link #baseline} but with the memory traffic of reading the keys the hash strategies read.
     *
     * @param keys per-thread requests
     * @return the endpoint
     */
    @Benchmark
    public Endpoint baselineKeyed(Keys keys) {
        return array[(int) (((keys.next().hash() >>> 32) * array.length) >>> 32)];
    }

    /**
     * Round-robin pick and completion.
     *
     * @return the selection
     */
    @Benchmark
    public Selection roundRobin() {
        return call(roundRobin, Request.none());
    }

    /**
     * Smooth weighted round-robin pick and completion.
     *
     * @return the selection
     */
    @Benchmark
    public Selection weightedRoundRobin() {
        return call(weightedRoundRobin, Request.none());
    }

    /**
     * Random pick and completion.
     *
     * @return the selection
     */
    @Benchmark
    public Selection random() {
        return call(random, Request.none());
    }

    /**
     * Weighted random pick and completion.
     *
     * @return the selection
     */
    @Benchmark
    public Selection weightedRandom() {
        return call(weightedRandom, Request.none());
    }

    /**
     * Least-connections pick and completion.
     *
     * @return the selection
     */
    @Benchmark
    public Selection leastConnections() {
        return call(leastConnections, Request.none());
    }

    /**
     * Least-response-time (peak EWMA) pick and completion.
     *
     * @return the selection
     */
    @Benchmark
    public Selection leastResponseTime() {
        return call(leastResponseTime, Request.none());
    }

    /**
     * P2C over outstanding requests, pick and completion.
     *
     * @return the selection
     */
    @Benchmark
    public Selection p2cLeastConnections() {
        return call(p2cLeastConnections, Request.none());
    }

    /**
     * P2C over peak EWMA, pick and completion.
     *
     * @return the selection
     */
    @Benchmark
    public Selection p2cEwma() {
        return call(p2cEwma, Request.none());
    }

    /**
     * Modulo key hash, pick and completion.
     *
     * @param keys per-thread requests
     * @return the selection
     */
    @Benchmark
    public Selection keyHash(Keys keys) {
        return call(keyHash, keys.next());
    }

    /**
     * Ring hash (160 points per endpoint), pick and completion.
     *
     * @param keys per-thread requests
     * @return the selection
     */
    @Benchmark
    public Selection ringHash(Keys keys) {
        return call(ringHash, keys.next());
    }

    /**
     * Maglev (default 65537-slot table), pick and completion.
     *
     * @param keys per-thread requests
     * @return the selection
     */
    @Benchmark
    public Selection maglev(Keys keys) {
        return call(maglev, keys.next());
    }

    /**
     * The recommended consistent hash (Maglev, 2000003-slot table), pick and completion.
     *
     * @param keys per-thread requests
     * @return the selection
     */
    @Benchmark
    public Selection consistentHash(Keys keys) {
        return call(consistentHash, keys.next());
    }

    /**
     * Rendezvous hashing, pick and completion.
     *
     * @param keys per-thread requests
     * @return the selection
     */
    @Benchmark
    public Selection rendezvous(Keys keys) {
        return call(rendezvous, keys.next());
    }

    /**
     * Jump hash, pick and completion.
     *
     * @param keys per-thread requests
     * @return the selection
     */
    @Benchmark
    public Selection jump(Keys keys) {
        return call(jump, keys.next());
    }

    /**
     * Bounded-load Maglev (c = 1.25), pick and completion.
     *
     * @param keys per-thread requests
     * @return the selection
     */
    @Benchmark
    public Selection boundedLoad(Keys keys) {
        return call(boundedLoad, keys.next());
    }
}
