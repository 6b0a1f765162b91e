package io.infrablocks.bench;

import com.github.benmanes.caffeine.cache.Caffeine;
import io.infrablocks.cache.Cache;
import io.infrablocks.cache.CacheBuilder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of the infrablocks cache against Caffeine and Guava on Zipf-distributed keys.
 *
 * <ul>
 *   <li>{@code readOnly}, {@code readWrite} (75% reads, 25% puts), {@code writeOnly}: 2^15 keys, Zipf
 *       (exponent 0.99, ranks scrambled over the key space) in a cache bounded at 2^16 and prefilled, so reads
 *       hit and writes replace.
 *   <li>{@code evictionHeavy}: a cache of 2^14 over 2^16 keys (4x its capacity), Zipf; each operation is a
 *       read, and a put on a miss, so the policy evicts continually.
 * </ul>
 *
 * <p>Run: {@code java -jar infra-bench/target/benchmarks.jar CacheBenchmark -t 1 -prof gc} (and {@code -t 2}).
 * Every implementation uses its defaults (the infrablocks ADAPTIVE policy, Caffeine's W-TinyLFU, Guava's LRU
 * segments) with maintenance on the common pool where applicable.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class CacheBenchmark {

    private static final int SAMPLES = 1 << 20;
    private static final int SAMPLE_MASK = SAMPLES - 1;
    private static final int ITEMS = 1 << 15;
    private static final int CAPACITY = 1 << 16;
    private static final int EVICTION_CAPACITY = 1 << 14;
    private static final int EVICTION_ITEMS = EVICTION_CAPACITY * 4;

    /** The implementation under test. */
    @Param({"infrablocks", "caffeine", "guava"})
    public String impl;

    private Adapter cache;
    private Adapter evictingCache;
    private Integer[] keys;
    private Integer[] evictionKeys;

    /** A minimal common interface over the three caches. */
    interface Adapter {
        Integer get(Integer key);

        void put(Integer key, Integer value);
    }

    /** Builds and prefills the caches and the key samples. */
    @Setup(Level.Trial)
    public void setUp() {
        keys = zipfKeys(ITEMS, 42);
        evictionKeys = zipfKeys(EVICTION_ITEMS, 43);
        cache = create(impl, CAPACITY);
        for (int i = 0; i < ITEMS; i++) {
            cache.put(i, i);
        }
        evictingCache = create(impl, EVICTION_CAPACITY);
        for (int i = 0; i < SAMPLES; i++) {
            Integer k = evictionKeys[i];
            if (evictingCache.get(k) == null) {
                evictingCache.put(k, k);
            }
        }
        for (int i = 0; i < ITEMS; i++) {
            if (cache.get(i) == null) {
                throw new IllegalStateException(impl + " lost key " + i + " while prefilling");
            }
        }
    }

    static Adapter create(String impl, int capacity) {
        switch (impl) {
            case "infrablocks": {
                Cache<Integer, Integer> c =
                        CacheBuilder.newBuilder().maximumSize(capacity).build();
                return new Adapter() {
                    @Override
                    public Integer get(Integer key) {
                        return c.getIfPresent(key);
                    }

                    @Override
                    public void put(Integer key, Integer value) {
                        c.put(key, value);
                    }
                };
            }
            case "caffeine": {
                com.github.benmanes.caffeine.cache.Cache<Integer, Integer> c =
                        Caffeine.newBuilder().maximumSize(capacity).build();
                return new Adapter() {
                    @Override
                    public Integer get(Integer key) {
                        return c.getIfPresent(key);
                    }

                    @Override
                    public void put(Integer key, Integer value) {
                        c.put(key, value);
                    }
                };
            }
            case "guava": {
                com.google.common.cache.Cache<Integer, Integer> c = com.google.common.cache.CacheBuilder.newBuilder()
                        .maximumSize(capacity)
                        .build();
                return new Adapter() {
                    @Override
                    public Integer get(Integer key) {
                        return c.getIfPresent(key);
                    }

                    @Override
                    public void put(Integer key, Integer value) {
                        c.put(key, value);
                    }
                };
            }
            default:
                throw new IllegalArgumentException("unknown impl " + impl);
        }
    }

    /**
     * {@code SAMPLES} keys drawn from a Zipf distribution (exponent 0.99) over {@code items} ranks, each rank
     * mapped to a distinct key by a fixed random permutation so that hot keys are spread over the table.
     */
    static Integer[] zipfKeys(int items, long seed) {
        double[] cdf = new double[items];
        double sum = 0;
        for (int i = 0; i < items; i++) {
            sum += 1.0 / Math.pow(i + 1, 0.99);
            cdf[i] = sum;
        }
        SplittableRandom random = new SplittableRandom(seed);
        int[] permutation = new int[items];
        for (int i = 0; i < items; i++) {
            permutation[i] = i;
        }
        for (int i = items - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = permutation[i];
            permutation[i] = permutation[j];
            permutation[j] = t;
        }
        Integer[] boxed = new Integer[items];
        for (int i = 0; i < items; i++) {
            boxed[i] = permutation[i];
        }
        Integer[] samples = new Integer[SAMPLES];
        for (int s = 0; s < SAMPLES; s++) {
            double u = random.nextDouble() * sum;
            int lo = 0;
            int hi = items - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (cdf[mid] < u) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            samples[s] = boxed[lo];
        }
        return samples;
    }

    /** Per-thread position in the key samples. */
    @State(Scope.Thread)
    public static class ThreadState {
        int index;

        /** Starts each thread at a different place in the samples. */
        @Setup(Level.Trial)
        public void setUp() {
            index = new SplittableRandom(System.identityHashCode(this)).nextInt(SAMPLES);
        }
    }

    /**
     * A read hit.
     *
     * @param t the thread's position
     * @return the value read
     */
    @Benchmark
    public Integer readOnly(ThreadState t) {
        return cache.get(keys[t.index++ & SAMPLE_MASK]);
    }

    /**
     * Three reads for every put.
     *
     * @param t the thread's position
     * @return the value read, or null for a put
     */
    @Benchmark
    public Integer readWrite(ThreadState t) {
        int i = t.index++;
        Integer key = keys[i & SAMPLE_MASK];
        if ((i & 3) == 0) {
            cache.put(key, key);
            return null;
        }
        return cache.get(key);
    }

    /**
     * A put that replaces a resident entry.
     *
     * @param t the thread's position
     */
    @Benchmark
    public void writeOnly(ThreadState t) {
        Integer key = keys[t.index++ & SAMPLE_MASK];
        cache.put(key, key);
    }

    /**
     * A read and, on a miss, a put into a cache whose key space is 4x its capacity.
     *
     * @param t the thread's position
     * @return the value read or inserted
     */
    @Benchmark
    public Integer evictionHeavy(ThreadState t) {
        Integer key = evictionKeys[t.index++ & SAMPLE_MASK];
        Integer v = evictingCache.get(key);
        if (v == null) {
            evictingCache.put(key, key);
            return key;
        }
        return v;
    }
}
