package io.infrablocks.bench;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Bare kernels of a load-balancing decision with in-flight accounting, without a balancer around them, next
 * to {@link LbBenchmark}'s {@code baseline} (repeated here so the ratios come from one run): what the
 * decision itself costs, to read {@link LbBenchmark}'s figures against.
 *
 * <p>Each endpoint has two ints on a 64-byte line of its own: picks, raised by an atomic add (the store-load
 * fence exact draining needs), and completions, raised by a plain read and a release store (the picking
 * thread's own counter). Nothing else: no health, no selection object, no misuse checks. What they showed
 * (2026-11-22, Zen 3, 1 thread, 10 endpoints, cycles per operation, baseline 10.8–11.0): round-robin 6.8–6.9
 * (the atomic add is cheap in itself); P2C drawing with {@code ThreadLocalRandom} 60–71, and as much without
 * the fence ({@link #p2cNoFence}); P2C drawing from a generator in the benchmark's own state 22 ({@link
 * #p2cWeyl}). So a P2C pick can cost about twice a random array read; what costs is the chain of dependent
 * steps before the atomic add (where the generator lives, how many loads lead to the candidates' counters),
 * which the balancer's layout sets.
 *
 * <pre>
 * java -jar infra-bench/target/benchmarks.jar LbFloorBenchmark -t 1 -prof perfnorm
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class LbFloorBenchmark {

    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
    /** Ints per endpoint: 64 bytes. */
    private static final int LINE = 16;

    /** The number of endpoints. */
    @Param({"10", "100"})
    public int endpoints;

    private Object[] array;
    private int[] weights;
    /** Endpoint {@code e}'s picks at {@code (e + 1) * LINE}, its completions at the next int. */
    private int[] counts;

    private int cursor;

    /** Builds the endpoints (weights 1 to 5, as {@link LbBenchmark}). */
    @Setup
    public void setup() {
        array = new Object[endpoints];
        weights = new int[endpoints];
        for (int i = 0; i < endpoints; i++) {
            array[i] = Integer.valueOf(i);
            weights[i] = 1 + i % 5;
        }
        counts = new int[(endpoints + 2) * LINE];
    }

    /**
     * {@link LbBenchmark#baseline}: a random index into an array.
     *
     * @return the endpoint
     */
    @Benchmark
    public Object baseline() {
        return array[ThreadLocalRandom.current().nextInt(array.length)];
    }

    private Object callOn(int e) {
        int at = (e + 1) * LINE;
        INTS.getAndAdd(counts, at, 1);
        INTS.setRelease(counts, at + 1, counts[at + 1] + 1);
        return array[e];
    }

    /**
     * Round-robin: the next index, one atomic add, the completion.
     *
     * @return the endpoint
     */
    @Benchmark
    public Object roundRobin() {
        int e = cursor + 1;
        if (e >= array.length) {
            e = 0;
        }
        cursor = e;
        return callOn(e);
    }

    /**
     * Power of two choices over in-flight per weight: two distinct random indexes from one random long, their
     * counts compared cross-multiplied by weight, one atomic add on the lighter, the completion.
     *
     * @return the endpoint
     */
    @Benchmark
    public Object p2c() {
        int e = choose();
        return callOn(e);
    }

    /**
     * {@link #p2c} with plain increments instead of the atomic add (not thread-safe): what the fence costs.
     *
     * @return the endpoint
     */
    @Benchmark
    public Object p2cNoFence() {
        int e = choose();
        int at = (e + 1) * LINE;
        counts[at]++;
        counts[at + 1]++;
        return array[e];
    }

    private int choose() {
        return choose(ThreadLocalRandom.current().nextLong());
    }

    /** Two distinct indexes from {@code r}, the lighter of the two in flight per weight. */
    private int choose(long r) {
        int n = array.length;
        int i = (int) (((r >>> 32) * n) >>> 32);
        int j = (int) (((r & 0xffffffffL) * (n - 1)) >>> 32);
        if (j >= i) {
            j++;
        }
        int[] c = counts;
        int ai = (i + 1) * LINE;
        int aj = (j + 1) * LINE;
        long li = (long) (c[ai] - c[ai + 1] + 1) * weights[j];
        long lj = (long) (c[aj] - c[aj + 1] + 1) * weights[i];
        return lj < li ? j : i;
    }

    /** {@link #p2cWeyl}'s generator state. */
    private long seed = 42;

    /**
     * {@link #p2c} drawing from a Weyl sequence in the benchmark's own state, mixed by one multiply, instead of
     * {@code ThreadLocalRandom}: the same decision with the shortest draw.
     *
     * @return the endpoint
     */
    @Benchmark
    public Object p2cWeyl() {
        long z = seed + 0x9e3779b97f4a7c15L;
        seed = z;
        return callOn(choose(z * 0xd6e8feb86659fd93L));
    }
}
