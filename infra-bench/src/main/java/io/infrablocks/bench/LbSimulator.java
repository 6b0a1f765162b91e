package io.infrablocks.bench;

import io.infrablocks.lb.Endpoint;
import io.infrablocks.lb.LoadBalancer;
import io.infrablocks.lb.NoAvailableEndpointException;
import io.infrablocks.lb.OutlierDetection;
import io.infrablocks.lb.Request;
import io.infrablocks.lb.Selection;
import io.infrablocks.lb.Strategy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * A deterministic discrete-event simulation of client-side load balancing that drives the real infra-lb
 * strategy classes through the public API, with a virtual nanosecond clock and seeded random sources.
 *
 * <pre>
 * java -cp infra-bench/target/benchmarks.jar io.infrablocks.bench.LbSimulator --scenario NAME [--seed N]
 * </pre>
 *
 * <p>Scenarios {@code slow-backend}, {@code fail-fast} and {@code heterogeneous} print {@value #HEADER}, one
 * row per algorithm. Requests arrive as a Poisson process at 1000/s for 60 s; each is picked at its arrival
 * time, its latency and outcome are drawn from the chosen backend's model, and its completion (success or
 * failure, latency) is fed back at arrival + latency. Latency percentiles are nearest-rank over all
 * requests (failures included, with their latency). {@code max_share_pct} is the largest share of all
 * requests one endpoint received; {@code bad_share_pct} is the share of the requests arriving while a
 * backend is bad that went to a bad backend (slow-backend, fail-fast: endpoint 0 during [15 s, 45 s);
 * heterogeneous: the slow endpoints, whole run).
 *
 * <ul>
 *   <li>{@code slow-backend}: 11 endpoints, latency log-normal with median 167 ms (σ 0.03), no queueing;
 *       endpoint 0 answers in 2 s during [15 s, 45 s) (after Buoyant's 2016 Linkerd experiment).
 *   <li>{@code fail-fast}: the same, but endpoint 0 fails in 1 ms during the window. Passive outlier
 *       detection is on with the library defaults (5 consecutive failures, 30 s base ejection, at most 10 %
 *       ejected); rows suffixed {@code -no-health} run with it off.
 *   <li>{@code heterogeneous}: 5 fast endpoints (median 20 ms, 8 workers, weight 10) and 5 slow ones
 *       (median 50 ms, 2 workers, weight 1), each an FCFS queue in front of its workers: capacity 400/s
 *       per fast and 40/s per slow endpoint, so an even split overloads the slow ones.
 * </ul>
 *
 * <p>{@code churn} measures consistent-hash quality on 100 endpoints and 1,000,000 keys and prints {@value
 * #CHURN_HEADER}: {@code peak_to_mean} is the most keys on one endpoint over the mean; {@code
 * moved_pct_remove} the share of keys whose owner changes when one endpoint (chosen by the seed) is
 * removed; {@code moved_pct_add} when a 101st is added; {@code ideal_pct} = 100 / n.
 */
public final class LbSimulator {

    /** The CSV header of the latency scenarios. */
    public static final String HEADER =
            "scenario,algorithm,requests,p50_ms,p99_ms,p999_ms,errors_pct,max_share_pct,bad_share_pct";

    /** The CSV header of the churn scenario. */
    public static final String CHURN_HEADER =
            "algorithm,nodes,keys,peak_to_mean,moved_pct_remove,moved_pct_add,ideal_pct";

    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000 * MS;

    private LbSimulator() {}

    /**
     * Runs one scenario and prints its CSV to standard output.
     *
     * @param args {@code --scenario NAME [--seed N]}
     */
    public static void main(String[] args) {
        String scenario = null;
        long seed = 42;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--scenario":
                    scenario = value(args, ++i);
                    break;
                case "--seed":
                    seed = Long.parseLong(value(args, ++i));
                    break;
                default:
                    usage("unknown argument " + args[i]);
            }
        }
        if (scenario == null) {
            usage("--scenario is required");
        }
        for (String line : run(scenario, seed)) {
            System.out.println(line);
        }
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            usage("missing value after " + args[i - 1]);
        }
        return args[i];
    }

    private static void usage(String problem) {
        System.err.println(problem);
        System.err.println("usage: LbSimulator --scenario slow-backend|fail-fast|heterogeneous|churn [--seed N]");
        System.exit(2);
    }

    /**
     * Runs one scenario.
     *
     * @param scenario {@code slow-backend}, {@code fail-fast}, {@code heterogeneous} or {@code churn}
     * @param seed the seed of every random source
     * @return the CSV lines, header first
     */
    public static List<String> run(String scenario, long seed) {
        switch (scenario) {
            case "slow-backend":
            case "fail-fast":
            case "heterogeneous":
                return latencyScenario(scenario, seed);
            case "churn":
                return churn(seed);
            default:
                throw new IllegalArgumentException(
                        "unknown scenario '" + scenario + "'; known: slow-backend, fail-fast, heterogeneous, churn");
        }
    }

    // ---------------------------------------------------------------- latency scenarios

    /** One backend: latency model and an optional FCFS worker pool. */
    private static final class Backend {
        final double medianMs;
        final long[] workerFreeAt;

        Backend(double medianMs, int workers) {
            this.medianMs = medianMs;
            this.workerFreeAt = workers == 0 ? null : new long[workers];
        }

        /** Latency of a request arriving at {@code t} whose service takes {@code service}. */
        long respond(long t, long service) {
            if (workerFreeAt == null) {
                return service;
            }
            int w = 0;
            for (int i = 1; i < workerFreeAt.length; i++) {
                if (workerFreeAt[i] < workerFreeAt[w]) {
                    w = i;
                }
            }
            long start = Math.max(t, workerFreeAt[w]);
            workerFreeAt[w] = start + service;
            return start + service - t;
        }
    }

    private static final class Completion implements Comparable<Completion> {
        final long at;
        final long seq;
        final Selection selection;
        final boolean ok;
        final long latency;

        Completion(long at, long seq, Selection selection, boolean ok, long latency) {
            this.at = at;
            this.seq = seq;
            this.selection = selection;
            this.ok = ok;
            this.latency = latency;
        }

        @Override
        public int compareTo(Completion o) {
            int c = Long.compare(at, o.at);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private static List<String> latencyScenario(String scenario, long seed) {
        List<String> out = new ArrayList<>();
        out.add(HEADER);
        List<String> algorithms = new ArrayList<>(List.of(
                "round-robin",
                "weighted-round-robin",
                "random",
                "weighted-random",
                "least-connections",
                "least-response-time",
                "p2c-least-connections",
                "p2c-ewma"));
        for (String algorithm : algorithms) {
            out.add(simulate(scenario, algorithm, true, seed));
        }
        if (scenario.equals("fail-fast")) {
            for (String algorithm : algorithms) {
                out.add(simulate(scenario, algorithm, false, seed));
            }
        }
        return out;
    }

    private static String simulate(String scenario, String algorithm, boolean health, long seed) {
        boolean heterogeneous = scenario.equals("heterogeneous");
        int n = heterogeneous ? 10 : 11;
        Backend[] backends = new Backend[n];
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int weight = 1;
            if (heterogeneous) {
                boolean fast = i < 5;
                backends[i] = fast ? new Backend(20, 8) : new Backend(50, 2);
                weight = fast ? 10 : 1;
            } else {
                backends[i] = new Backend(167, 0);
            }
            endpoints.add(Endpoint.of("e" + i, "10.0.0." + (i + 1), 8080).withWeight(weight));
        }
        long[] clock = {0};
        LoadBalancer lb = LoadBalancer.builder()
                .name("sim-" + algorithm)
                .endpoints(endpoints)
                .strategy(Strategy.named(algorithm))
                .clock(() -> clock[0])
                .random(new SplittableRandom(seed))
                .outlierDetection(health ? OutlierDetection.defaults() : OutlierDetection.disabled())
                .build();
        SplittableRandom arrivals = new SplittableRandom(seed * 31 + 1);
        SplittableRandom service = new SplittableRandom(seed * 31 + 2);
        long end = 60 * SECOND;
        long badFrom = heterogeneous ? 0 : 15 * SECOND;
        long badUntil = heterogeneous ? end : 45 * SECOND;
        PriorityQueue<Completion> pending = new PriorityQueue<>();
        long[] latencies = new long[70_000];
        int requests = 0;
        int errors = 0;
        long[] picks = new long[n];
        long inWindow = 0;
        long badInWindow = 0;
        long seq = 0;
        long t = 0;
        while (true) {
            t += (long) (-Math.log(1 - arrivals.nextDouble()) * MS);
            if (t >= end) {
                break;
            }
            while (!pending.isEmpty() && pending.peek().at <= t) {
                Completion c = pending.poll();
                clock[0] = c.at;
                c.selection.complete(c.ok, c.latency);
            }
            clock[0] = t;
            Selection s;
            try {
                s = lb.pick();
            } catch (NoAvailableEndpointException e) {
                if (requests == latencies.length) {
                    latencies = Arrays.copyOf(latencies, requests * 2);
                }
                latencies[requests++] = 0;
                errors++;
                continue;
            }
            int i = Integer.parseInt(s.endpoint().id().substring(1));
            picks[i]++;
            boolean inBad = t >= badFrom && t < badUntil;
            boolean badBackend = heterogeneous ? i >= 5 : i == 0;
            if (inBad) {
                inWindow++;
                if (badBackend) {
                    badInWindow++;
                }
            }
            double jitter = Math.exp(0.03 * service.nextGaussian());
            long latency;
            boolean ok = true;
            if (!heterogeneous && inBad && i == 0) {
                if (scenario.equals("slow-backend")) {
                    latency = (long) (2000 * MS * jitter);
                } else {
                    latency = MS;
                    ok = false;
                }
            } else if (heterogeneous) {
                double sigma = 0.3;
                long work = (long) (backends[i].medianMs * MS * Math.exp(sigma * service.nextGaussian()));
                latency = backends[i].respond(t, work);
            } else {
                latency = (long) (backends[i].medianMs * MS * jitter);
            }
            if (!ok) {
                errors++;
            }
            if (requests == latencies.length) {
                latencies = Arrays.copyOf(latencies, requests * 2);
            }
            latencies[requests++] = latency;
            pending.add(new Completion(t + latency, seq++, s, ok, latency));
        }
        lb.close();
        long[] sorted = Arrays.copyOf(latencies, requests);
        Arrays.sort(sorted);
        long maxPicks = 0;
        for (long p : picks) {
            maxPicks = Math.max(maxPicks, p);
        }
        String name = health ? algorithm : algorithm + "-no-health";
        return String.format(
                Locale.ROOT,
                "%s,%s,%d,%.1f,%.1f,%.1f,%.3f,%.2f,%.2f",
                scenario,
                name,
                requests,
                percentile(sorted, 0.50) / (double) MS,
                percentile(sorted, 0.99) / (double) MS,
                percentile(sorted, 0.999) / (double) MS,
                100.0 * errors / requests,
                100.0 * maxPicks / requests,
                inWindow == 0 ? 0.0 : 100.0 * badInWindow / inWindow);
    }

    private static long percentile(long[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    // ---------------------------------------------------------------- churn

    private static List<String> churn(long seed) {
        int nodes = 100;
        int keys = 1_000_000;
        List<String> out = new ArrayList<>();
        out.add(CHURN_HEADER);
        Object[][] algorithms = {
            {"key-hash", Strategy.keyHash()},
            {"ring-hash-160", Strategy.ringHash(160)},
            {"ring-hash-4096", Strategy.ringHash(4096)},
            {"maglev-65537", Strategy.maglev(65_537)},
            {"maglev-655373", Strategy.maglev(655_373)},
            {"maglev-2000003", Strategy.consistentHash()},
            {"rendezvous", Strategy.rendezvous()},
            {"jump", Strategy.jump()},
        };
        SplittableRandom r = new SplittableRandom(seed);
        int removed = r.nextInt(nodes);
        long[] hashes = new long[keys];
        for (int i = 0; i < keys; i++) {
            hashes[i] = Request.mix(seed * 0x9E3779B97F4A7C15L + i);
        }
        for (Object[] a : algorithms) {
            String name = (String) a[0];
            long started = System.nanoTime();
            List<Endpoint> endpoints = new ArrayList<>();
            for (int i = 0; i < nodes; i++) {
                endpoints.add(Endpoint.of("node-" + i, "10.1." + (i / 250) + "." + (i % 250 + 1), 11211));
            }
            try (LoadBalancer lb = LoadBalancer.builder()
                    .name("churn-" + name)
                    .endpoints(endpoints)
                    .strategy((Strategy) a[1])
                    .outlierDetection(OutlierDetection.disabled())
                    .build()) {
                int[] before = owners(lb, hashes);
                int[] perNode = new int[nodes + 1];
                for (int o : before) {
                    perNode[o]++;
                }
                int peak = 0;
                for (int c : perNode) {
                    peak = Math.max(peak, c);
                }
                double peakToMean = peak / (keys / (double) nodes);
                lb.removeEndpoint("node-" + removed);
                double movedRemove = moved(before, owners(lb, hashes));
                lb.addEndpoint(endpoints.get(removed));
                // re-adding restores the order only for order-independent algorithms; compare with a fresh view
                int[] restored = owners(lb, hashes);
                lb.addEndpoint(Endpoint.of("node-" + nodes, "10.1.9.9", 11211));
                double movedAdd = moved(restored, owners(lb, hashes));
                out.add(String.format(
                        Locale.ROOT,
                        "%s,%d,%d,%.3f,%.3f,%.3f,%.3f",
                        name,
                        nodes,
                        keys,
                        peakToMean,
                        movedRemove,
                        movedAdd,
                        100.0 / nodes));
            }
            System.err.printf(Locale.ROOT, "# %s: %d ms%n", name, (System.nanoTime() - started) / 1_000_000);
        }
        return out;
    }

    private static int[] owners(LoadBalancer lb, long[] hashes) {
        int[] out = new int[hashes.length];
        for (int i = 0; i < hashes.length; i++) {
            Selection s = lb.pick(Request.ofHash(hashes[i]));
            s.release();
            out[i] = Integer.parseInt(s.endpoint().id().substring(5));
        }
        return out;
    }

    private static double moved(int[] before, int[] after) {
        int moved = 0;
        for (int i = 0; i < before.length; i++) {
            if (before[i] != after[i]) {
                moved++;
            }
        }
        return 100.0 * moved / before.length;
    }
}
