package io.infrablocks.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;

/**
 * Writes deterministic synthetic cache traces (gzip, one decimal key per line, the format {@link CacheSimulator}
 * reads) covering the workload families a real trace is likely to contain, each with three cache sizes relative
 * to its footprint: a small one (at most 1,024 entries), a middle one and a large one.
 *
 * <pre>
 * java -cp infra-bench/target/benchmarks.jar io.infrablocks.bench.TraceGenerator --out DIR [--seed S]
 * </pre>
 *
 * <p>Families (every key id is a fresh random-looking long, so key order says nothing about popularity):
 * <ul>
 *   <li>{@code zipfNN}: stationary Zipf with exponent 0.NN over 20,000 keys (0.6, 0.8, 1.0, 1.2);
 *   <li>{@code shift}: a hot set of 2,000 keys with Zipf(0.9) popularity that moves to new keys every 20,000
 *       requests (fully); {@code shifthalf}: half the hot set is replaced every 10,000 requests;
 *   <li>{@code lrustack}, {@code lrustackwide}: the LRU stack model (Spirn 1977): with probability 0.9 the key at
 *       stack depth {@code d} is re-referenced, {@code d} geometric with mean 200 (resp. 2,000); otherwise a new
 *       key. Recency beats frequency here: LRU is the optimal online policy for non-increasing depth
 *       probabilities;
 *   <li>{@code drift}: a hot spot sliding through the key space (key = position / 20 + Exp(mean 300)): recency only;
 *   <li>{@code loop}, {@code loopbig}: a cycle of 1,100 (resp. 6,000) keys, so the middle size is slightly smaller
 *       than the loop, like the LIRS {@code loop} trace; {@code loopcliff}: a cycle of 5,000 keys at 98% and 99.6% of
 *       it (where a hash sample of the loop may fit in a sampled simulation while the loop does not fit the cache);
 *   <li>{@code zipfscan}: Zipf(0.8) over 10,000 keys with a one-off scan of 5,000 fresh keys every 30,000
 *       requests; {@code zipfnoise}: Zipf(0.9) where 30% of requests are fresh one-off keys;
 *   <li>{@code phases}: Zipf, then an LRU-stack phase, then a loop, then Zipf again (concatenation);
 *       {@code mixloop}: a Zipf stream and a loop stream interleaved at random (like the LIRS {@code multi2});
 *       {@code mixstack}: an LRU-stack stream and a Zipf stream with scans interleaved at random.
 * </ul>
 *
 * <p>Every trace has 200,000 requests. Besides the traces, the generator writes {@code sizes.txt}: one line per
 * trace, {@code FILE SIZE,SIZE,SIZE}. {@link RobustnessSweep} generates and replays them all.
 */
public final class TraceGenerator {

    /** Requests per trace. */
    static final int REQUESTS = 200_000;

    /** A generated trace: a name, its keys and the three cache sizes it is judged at. */
    record Trace(String name, long[] keys, int[] sizes) {
        String fileName() {
            return name + ".keys.gz";
        }

        String sizeList() {
            return Arrays.stream(sizes).mapToObj(Integer::toString).collect(Collectors.joining(","));
        }
    }

    private TraceGenerator() {}

    /**
     * Writes the traces and {@code sizes.txt}.
     *
     * @param args {@code --out DIR [--seed S]}
     */
    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Path dir = null;
        long seed = 42;
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (i + 1 >= args.length) {
                err.println("TraceGenerator: option " + option + " needs a value");
                return 2;
            }
            String value = args[++i];
            switch (option) {
                case "--out" -> dir = Path.of(value);
                case "--seed" -> {
                    try {
                        seed = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        err.println("TraceGenerator: seed must be a long but was '" + value + "'");
                        return 2;
                    }
                }
                default -> {
                    err.println("TraceGenerator: unknown option '" + option + "'");
                    err.println("usage: TraceGenerator --out DIR [--seed S]");
                    return 2;
                }
            }
        }
        if (dir == null) {
            err.println("usage: TraceGenerator --out DIR [--seed S]");
            return 2;
        }
        try {
            write(dir, all(seed));
        } catch (IOException e) {
            err.println("TraceGenerator: cannot write to " + dir + ": " + e);
            return 2;
        }
        out.println("wrote " + dir.resolve("sizes.txt"));
        return 0;
    }

    /** Writes each trace as gzip text and the {@code sizes.txt} manifest. */
    static void write(Path dir, List<Trace> traces) throws IOException {
        Files.createDirectories(dir);
        StringBuilder manifest = new StringBuilder();
        for (Trace trace : traces) {
            try (OutputStream file = Files.newOutputStream(dir.resolve(trace.fileName()));
                    Writer writer = new BufferedWriter(
                            new OutputStreamWriter(new GZIPOutputStream(file, 1 << 16), StandardCharsets.UTF_8),
                            1 << 16)) {
                for (long key : trace.keys()) {
                    writer.write(Long.toString(key));
                    writer.write('\n');
                }
            }
            manifest.append(trace.fileName())
                    .append(' ')
                    .append(trace.sizeList())
                    .append('\n');
        }
        Files.writeString(dir.resolve("sizes.txt"), manifest.toString(), StandardCharsets.UTF_8);
    }

    /** Every family, generated from one seed (each trace from its own derived stream). */
    static List<Trace> all(long seed) {
        List<Trace> traces = new ArrayList<>();
        SplittableRandom root = new SplittableRandom(seed);
        traces.add(new Trace("zipf06", zipf(root.split(), 20_000, 0.6, REQUESTS), new int[] {500, 2_000, 8_000}));
        traces.add(new Trace("zipf08", zipf(root.split(), 20_000, 0.8, REQUESTS), new int[] {250, 1_000, 5_000}));
        traces.add(new Trace("zipf10", zipf(root.split(), 20_000, 1.0, REQUESTS), new int[] {100, 1_000, 4_000}));
        traces.add(new Trace("zipf12", zipf(root.split(), 20_000, 1.2, REQUESTS), new int[] {50, 500, 2_000}));
        traces.add(
                new Trace("shift", shift(root.split(), 2_000, 20_000, 1.0, REQUESTS), new int[] {500, 1_500, 4_000}));
        traces.add(new Trace(
                "shifthalf", shift(root.split(), 2_000, 10_000, 0.5, REQUESTS), new int[] {500, 1_500, 4_000}));
        traces.add(new Trace("lrustack", lruStack(root.split(), 0.9, 200, REQUESTS), new int[] {100, 500, 2_000}));
        traces.add(new Trace(
                "lrustackwide", lruStack(root.split(), 0.9, 2_000, REQUESTS), new int[] {1_000, 4_000, 16_000}));
        traces.add(new Trace("drift", drift(root.split(), REQUESTS), new int[] {500, 2_000, 8_000}));
        traces.add(new Trace("loop", loop(root.split(), 1_100, REQUESTS), new int[] {512, 1_000, 1_200}));
        traces.add(new Trace("loopbig", loop(root.split(), 6_000, REQUESTS), new int[] {1_000, 5_500, 6_500}));
        traces.add(new Trace("loopcliff", loop(root.split(), 5_000, REQUESTS), new int[] {1_000, 4_900, 4_980}));
        traces.add(new Trace("zipfscan", zipfScan(root.split(), REQUESTS), new int[] {500, 2_000, 6_000}));
        traces.add(new Trace("zipfnoise", zipfNoise(root.split(), REQUESTS), new int[] {500, 2_000, 8_000}));
        traces.add(new Trace("phases", phases(root.split(), REQUESTS), new int[] {500, 1_000, 4_000}));
        traces.add(new Trace("mixloop", mixLoop(root.split(), REQUESTS), new int[] {500, 1_500, 4_000}));
        traces.add(new Trace("mixstack", mixStack(root.split(), REQUESTS), new int[] {500, 2_000, 6_000}));
        return traces;
    }

    /** Fresh, distinct, random-looking key ids. */
    private static final class Ids {
        private final SplittableRandom random;
        private long counter;

        Ids(SplittableRandom random) {
            this.random = random;
            this.counter = random.nextLong(1L << 40);
        }

        /** A new id never returned before by this generator (a bijective mix of a counter). */
        long next() {
            long x = ++counter;
            x ^= x >>> 31;
            x *= 0x7FB5_D329_728E_A185L;
            x ^= x >>> 27;
            return (x & Long.MAX_VALUE) % 1_000_000_000_000L;
        }

        long[] next(int n) {
            long[] ids = new long[n];
            for (int i = 0; i < n; i++) {
                ids[i] = next();
            }
            return ids;
        }

        SplittableRandom random() {
            return random;
        }
    }

    /** A Zipf sampler over ranks 0..n-1 (P(rank r) proportional to 1/(r+1)^alpha), by inverse CDF. */
    private static final class Zipf {
        private final double[] cdf;

        Zipf(int n, double alpha) {
            cdf = new double[n];
            double sum = 0;
            for (int r = 0; r < n; r++) {
                sum += 1.0 / Math.pow(r + 1, alpha);
                cdf[r] = sum;
            }
            for (int r = 0; r < n; r++) {
                cdf[r] /= sum;
            }
        }

        int sample(SplittableRandom random) {
            int i = Arrays.binarySearch(cdf, random.nextDouble());
            return Math.min(cdf.length - 1, i >= 0 ? i : -i - 1);
        }
    }

    static long[] zipf(SplittableRandom random, int keys, double alpha, int requests) {
        Ids ids = new Ids(random);
        long[] population = ids.next(keys);
        Zipf zipf = new Zipf(keys, alpha);
        long[] out = new long[requests];
        for (int i = 0; i < requests; i++) {
            out[i] = population[zipf.sample(random)];
        }
        return out;
    }

    /** A Zipf(0.9) hot set that replaces {@code share} of its keys with fresh ones every {@code period} requests. */
    static long[] shift(SplittableRandom random, int hot, int period, double share, int requests) {
        Ids ids = new Ids(random);
        long[] population = ids.next(hot);
        Zipf zipf = new Zipf(hot, 0.9);
        long[] out = new long[requests];
        for (int i = 0; i < requests; i++) {
            if (i > 0 && i % period == 0) {
                for (int r = 0; r < hot; r++) {
                    if (random.nextDouble() < share) {
                        population[r] = ids.next();
                    }
                }
            }
            out[i] = population[zipf.sample(random)];
        }
        return out;
    }

    /**
     * The LRU stack model: with probability {@code reuse} the key at a geometric stack depth (mean {@code depth})
     * is requested again and moves to the top; otherwise a new key is pushed.
     */
    static long[] lruStack(SplittableRandom random, double reuse, int depth, int requests) {
        Ids ids = new Ids(random);
        long[] stack = new long[64 * depth + 64];
        int size = 0; // stack[size - 1] is the most recent
        double p = 1.0 / depth;
        double logQ = Math.log1p(-p);
        long[] out = new long[requests];
        for (int i = 0; i < requests; i++) {
            long key;
            if (size > 0 && random.nextDouble() < reuse) {
                int d = (int) Math.min(size - 1, Math.floor(Math.log(1 - random.nextDouble()) / logQ));
                int index = size - 1 - d;
                key = stack[index];
                System.arraycopy(stack, index + 1, stack, index, d);
                stack[size - 1] = key;
            } else {
                key = ids.next();
                if (size == stack.length) {
                    // Forget the oldest half: depths that deep have probability ~e^-32.
                    int keep = stack.length / 2;
                    System.arraycopy(stack, size - keep, stack, 0, keep);
                    size = keep;
                }
                stack[size++] = key;
            }
            out[i] = key;
        }
        return out;
    }

    /** A hot spot sliding through the key space: key = position / 20 + Exp(mean 300). */
    static long[] drift(SplittableRandom random, int requests) {
        long base = new Ids(random).next();
        long[] out = new long[requests];
        for (int i = 0; i < requests; i++) {
            long offset = (long) (-300 * Math.log(1 - random.nextDouble()));
            out[i] = base + i / 20 + offset;
        }
        return out;
    }

    static long[] loop(SplittableRandom random, int length, int requests) {
        long[] population = new Ids(random).next(length);
        long[] out = new long[requests];
        for (int i = 0; i < requests; i++) {
            out[i] = population[i % length];
        }
        return out;
    }

    /** Zipf(0.8) over 10,000 keys; every 30,000 requests a one-off scan of 5,000 fresh keys. */
    static long[] zipfScan(SplittableRandom random, int requests) {
        Ids ids = new Ids(random);
        long[] population = ids.next(10_000);
        Zipf zipf = new Zipf(population.length, 0.8);
        long[] out = new long[requests];
        int i = 0;
        while (i < requests) {
            for (int k = 0; k < 25_000 && i < requests; k++) {
                out[i++] = population[zipf.sample(random)];
            }
            for (int k = 0; k < 5_000 && i < requests; k++) {
                out[i++] = ids.next();
            }
        }
        return out;
    }

    /** Zipf(0.9) over 20,000 keys where 30% of the requests are fresh one-off keys. */
    static long[] zipfNoise(SplittableRandom random, int requests) {
        Ids ids = new Ids(random);
        long[] population = ids.next(20_000);
        Zipf zipf = new Zipf(population.length, 0.9);
        long[] out = new long[requests];
        for (int i = 0; i < requests; i++) {
            out[i] = random.nextDouble() < 0.3 ? ids.next() : population[zipf.sample(random)];
        }
        return out;
    }

    /** Four phases of equal length: Zipf(0.9) over 5,000 keys, an LRU stack (mean 300), a loop of 1,200, Zipf. */
    static long[] phases(SplittableRandom random, int requests) {
        int quarter = requests / 4;
        long[] a = zipf(random.split(), 5_000, 0.9, quarter);
        long[] b = lruStack(random.split(), 0.9, 300, quarter);
        long[] c = loop(random.split(), 1_200, quarter);
        long[] d = zipf(random.split(), 5_000, 0.9, requests - 3 * quarter);
        long[] out = new long[requests];
        System.arraycopy(a, 0, out, 0, quarter);
        System.arraycopy(b, 0, out, quarter, quarter);
        System.arraycopy(c, 0, out, 2 * quarter, quarter);
        System.arraycopy(d, 0, out, 3 * quarter, d.length);
        return out;
    }

    /** A Zipf(0.8) stream over 8,000 keys and a loop of 1,500 keys interleaved at random, half each. */
    static long[] mixLoop(SplittableRandom random, int requests) {
        return interleave(
                random,
                zipf(random.split(), 8_000, 0.8, requests),
                loop(random.split(), 1_500, requests),
                0.5,
                requests);
    }

    /** An LRU-stack stream (mean depth 500) and a Zipf(0.8)-with-scans stream interleaved at random, 60/40. */
    static long[] mixStack(SplittableRandom random, int requests) {
        return interleave(
                random,
                lruStack(random.split(), 0.9, 500, requests),
                zipfScan(random.split(), requests),
                0.6,
                requests);
    }

    private static long[] interleave(SplittableRandom random, long[] a, long[] b, double shareA, int requests) {
        long[] out = new long[requests];
        int ia = 0;
        int ib = 0;
        for (int i = 0; i < requests; i++) {
            out[i] = random.nextDouble() < shareA ? a[ia++] : b[ib++];
        }
        return out;
    }
}
