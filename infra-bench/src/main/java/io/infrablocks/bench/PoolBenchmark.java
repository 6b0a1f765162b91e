package io.infrablocks.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.infrablocks.pool.Fairness;
import io.infrablocks.pool.jdbc.PooledDataSource;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Locale;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.apache.commons.pool2.BasePooledObjectFactory;
import org.apache.commons.pool2.PooledObject;
import org.apache.commons.pool2.impl.DefaultPooledObject;
import org.apache.commons.pool2.impl.GenericObjectPool;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * Connection-pool acquire + release cycle, in the style of the HikariCP-benchmark's ConnectionBench: each
 * operation borrows a connection from a pool over a stub JDBC driver (no I/O, {@link StubDataSource}) and
 * returns it. Pools: {@code infrablocks} ({@link PooledDataSource}, strict FIFO), {@code hikari}
 * (HikariCP), {@code commons-pool2} (a GenericObjectPool of the stub connections: it has no JDBC layer, so
 * it does less work per cycle than the other two), {@code infrablocks-barging} (the same DataSource built
 * with {@code fair(false)}, the opt-in throughput mode, to show the price of fairness), {@code infrablocks-hybrid}
 * (the same DataSource with {@code fairness(Fairness.hybrid())}: barging until the head waiter has waited 1
 * ms, then strict FIFO hand-off until the starvation is over; the threshold can be changed for experiments
 * with the system property {@code infra.bench.hybridThreshold}, an ISO-8601 duration).
 *
 * <ul>
 *   <li>{@code cycle1Thread}, {@code cycle2Threads}: pool size 32, 1 and 2 threads (uncontended).
 *   <li>{@code oversubscribed}: 8 threads over 4 connections, throughput.
 *   <li>{@code oversubscribedWait}: the same in SampleTime mode. It samples the whole cycle, so it adds
 *       each pool's release cost to the wait, and not in the same way for every pool: a HikariCP release
 *       yields the CPU while threads wait, a FIFO release may unpark the next waiter. Quote acquire-wait
 *       percentiles from {@code oversubscribedTimed}, which times {@code getConnection()} alone.
 *   <li>{@code oversubscribedTimed}: the same 8 threads over 4 connections, throughput, with every
 *       {@code getConnection()} timed by {@code System.nanoTime()} into a per-thread HdrHistogram (the same
 *       way for all three pools). At the end of the trial it prints one line {@code acquire-wait pool=...}
 *       with the measured operations, the acquire-wait p50/p99/p99.9/p99.99/max (µs) of the measurement
 *       iterations, and the context switches per operation of the whole JVM (summed over {@code
 *       /proc/self/task/}{@code *}{@code /status}; Linux only, else -1); then the fewest and most
 *       acquires made by one thread ({@code thread-ops}, how evenly the pool and the OS shared the
 *       connections) and the highest per-thread p99 ({@code worst-thread-p99}: the aggregate p99 weighs
 *       each thread by its number of acquires, so a thread served rarely barely shows in it).
 * </ul>
 *
 * <p>Run: {@code java -jar infra-bench/target/benchmarks.jar PoolBenchmark -f 1 -wi 2 -w 1s -i 3 -r 1s}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class PoolBenchmark {

    /** The pool under test. */
    @Param({"infrablocks", "hikari", "commons-pool2", "infrablocks-barging", "infrablocks-hybrid"})
    public String pool;

    private PooledDataSource infrablocks;
    private HikariDataSource hikari;
    private GenericObjectPool<Connection> commons;

    /**
     * Builds the pool: 4 connections for the oversubscribed benchmarks, 32 otherwise; all created up front.
     *
     * @param params tells which benchmark runs
     * @throws Exception when the pool cannot start
     */
    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) throws Exception {
        int size = params.getBenchmark().contains("oversubscribed") ? 4 : 32;
        StubDataSource stub = new StubDataSource();
        switch (pool) {
            case "infrablocks":
            case "infrablocks-barging":
            case "infrablocks-hybrid":
                Fairness fairness = pool.equals("infrablocks")
                        ? Fairness.FIFO
                        : pool.equals("infrablocks-barging") ? Fairness.BARGING : Fairness.hybrid(hybridThreshold());
                infrablocks = PooledDataSource.builder()
                        .dataSource(stub)
                        .pool(p -> p.name("bench")
                                .maxSize(size)
                                .minIdle(size)
                                .acquireTimeout(Duration.ofSeconds(8))
                                .fairness(fairness))
                        .build();
                while (infrablocks.metrics().idle() < size) {
                    Thread.onSpinWait();
                }
                break;
            case "hikari":
                HikariConfig config = new HikariConfig();
                config.setDataSource(stub);
                config.setPoolName("bench");
                config.setMaximumPoolSize(size);
                config.setMinimumIdle(size);
                config.setConnectionTimeout(8000);
                hikari = new HikariDataSource(config);
                while (hikari.getHikariPoolMXBean() == null
                        || hikari.getHikariPoolMXBean().getIdleConnections() < size) {
                    Thread.onSpinWait();
                }
                break;
            case "commons-pool2":
                GenericObjectPoolConfig<Connection> pc = new GenericObjectPoolConfig<>();
                pc.setMaxTotal(size);
                pc.setMaxIdle(size);
                pc.setMinIdle(size);
                pc.setBlockWhenExhausted(true);
                pc.setMaxWait(Duration.ofSeconds(8));
                pc.setJmxEnabled(false);
                commons = new GenericObjectPool<>(new StubFactory(stub), pc);
                commons.addObjects(size);
                break;
            default:
                throw new IllegalArgumentException("unknown pool " + pool);
        }
    }

    /**
     * The starvation threshold of {@code infrablocks-hybrid}: the default of {@link Fairness#hybrid()}, or
     * the ISO-8601 duration in the system property {@code infra.bench.hybridThreshold} (e.g. {@code
     * -jvmArgsAppend -Dinfra.bench.hybridThreshold=PT0.01S}), for experiments.
     */
    private static Duration hybridThreshold() {
        String d = System.getProperty("infra.bench.hybridThreshold");
        return d == null ? Fairness.DEFAULT_STARVATION_THRESHOLD : Duration.parse(d);
    }

    /** Closes the pool. */
    @TearDown(Level.Trial)
    public void tearDown() {
        if (infrablocks != null) {
            infrablocks.close();
        }
        if (hikari != null) {
            hikari.close();
        }
        if (commons != null) {
            commons.close();
        }
    }

    /** Per-thread acquire-wait histograms of {@code oversubscribedTimed}, merged at the end of the trial. */
    private final Queue<Histogram> waits = new ConcurrentLinkedQueue<>();

    private long switchesAtStart;
    private long switches;
    private boolean measuring;

    /**
     * Reads the context-switch count at the start of a measurement iteration.
     *
     * @param iteration tells warmup from measurement
     */
    @Setup(Level.Iteration)
    public void iterationStart(IterationParams iteration) {
        measuring = iteration.getType() == IterationType.MEASUREMENT;
        switchesAtStart = measuring ? contextSwitches() : 0;
    }

    /** Adds the context switches of a measurement iteration. */
    @TearDown(Level.Iteration)
    public void iterationEnd() {
        if (measuring) {
            long now = contextSwitches();
            switches = switchesAtStart < 0 || now < 0 ? -1 : switches + now - switchesAtStart;
        }
    }

    /**
     * Prints the acquire-wait distribution of {@code oversubscribedTimed}, if it ran.
     *
     * @param params tells which benchmark ran
     */
    @TearDown(Level.Trial)
    public void report(BenchmarkParams params) {
        if (waits.isEmpty()) {
            return;
        }
        Histogram all = new Histogram(3);
        long minOps = Long.MAX_VALUE;
        long maxOps = 0;
        double worstP99 = 0;
        for (Histogram h : waits) {
            all.add(h);
            minOps = Math.min(minOps, h.getTotalCount());
            maxOps = Math.max(maxOps, h.getTotalCount());
            if (h.getTotalCount() > 0) {
                worstP99 = Math.max(worstP99, h.getValueAtPercentile(99));
            }
        }
        long n = all.getTotalCount();
        System.out.printf(
                Locale.ROOT,
                "%nacquire-wait pool=%s threads=%d ops=%d p50=%.2fus p99=%.2fus p99.9=%.2fus p99.99=%.2fus"
                        + " max=%.2fus ctxsw/op=%.4f thread-ops=%d..%d worst-thread-p99=%.2fus%n",
                pool,
                params.getThreads(),
                n,
                all.getValueAtPercentile(50) / 1e3,
                all.getValueAtPercentile(99) / 1e3,
                all.getValueAtPercentile(99.9) / 1e3,
                all.getValueAtPercentile(99.99) / 1e3,
                all.getMaxValue() / 1e3,
                switches < 0 || n == 0 ? -1.0 : (double) switches / n,
                minOps == Long.MAX_VALUE ? 0 : minOps,
                maxOps,
                worstP99 / 1e3);
    }

    /** Voluntary + involuntary context switches of every thread of this JVM, or -1 when unknown. */
    private static long contextSwitches() {
        long sum = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path t : tasks) {
                try {
                    for (String line : Files.readAllLines(t.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:")
                                || line.startsWith("nonvoluntary_ctxt_switches:")) {
                            sum += Long.parseLong(
                                    line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return sum;
    }

    /** One thread's acquire-wait histogram (ns); records only in measurement iterations. */
    @State(Scope.Thread)
    public static class WaitHistogram {
        final Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        boolean recording;
        private boolean registered;

        /**
         * Registers the histogram with the benchmark and arms it for measurement iterations only.
         *
         * @param bench the benchmark state
         * @param iteration tells warmup from measurement
         */
        @Setup(Level.Iteration)
        public void arm(PoolBenchmark bench, IterationParams iteration) {
            if (!registered) {
                bench.waits.add(histogram);
                registered = true;
            }
            recording = iteration.getType() == IterationType.MEASUREMENT;
        }
    }

    private Connection cycle() throws Exception {
        if (infrablocks != null) {
            Connection c = infrablocks.getConnection();
            c.close();
            return c;
        }
        if (hikari != null) {
            Connection c = hikari.getConnection();
            c.close();
            return c;
        }
        Connection c = commons.borrowObject();
        commons.returnObject(c);
        return c;
    }

    /**
     * One thread over a 32-connection pool.
     *
     * @return the connection, consumed by JMH
     * @throws Exception from the pool
     */
    @Benchmark
    @Threads(1)
    public Connection cycle1Thread() throws Exception {
        return cycle();
    }

    /**
     * Two threads over a 32-connection pool.
     *
     * @return the connection, consumed by JMH
     * @throws Exception from the pool
     */
    @Benchmark
    @Threads(2)
    public Connection cycle2Threads() throws Exception {
        return cycle();
    }

    /**
     * Eight threads over four connections: throughput.
     *
     * @return the connection, consumed by JMH
     * @throws Exception from the pool
     */
    @Benchmark
    @Threads(8)
    public Connection oversubscribed() throws Exception {
        return cycle();
    }

    /**
     * Eight threads over four connections: the distribution of the cycle time, i.e. of the acquire wait.
     *
     * @return the connection, consumed by JMH
     * @throws Exception from the pool
     */
    @Benchmark
    @Threads(8)
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Connection oversubscribedWait() throws Exception {
        return cycle();
    }

    /**
     * Eight threads over four connections: throughput, with every acquire timed into a histogram (printed
     * at the end of the trial as an {@code acquire-wait} line, see the class comment).
     *
     * @param wait this thread's histogram
     * @return the connection, consumed by JMH
     * @throws Exception from the pool
     */
    @Benchmark
    @Threads(8)
    public Connection oversubscribedTimed(WaitHistogram wait) throws Exception {
        long t0 = System.nanoTime();
        Connection c;
        if (infrablocks != null) {
            c = infrablocks.getConnection();
        } else if (hikari != null) {
            c = hikari.getConnection();
        } else {
            c = commons.borrowObject();
        }
        long waited = System.nanoTime() - t0;
        if (wait.recording) {
            wait.histogram.recordValue(waited);
        }
        if (commons != null) {
            commons.returnObject(c);
        } else {
            c.close();
        }
        return c;
    }

    /** commons-pool2 factory of stub connections. */
    private static final class StubFactory extends BasePooledObjectFactory<Connection> {
        private final StubDataSource stub;

        StubFactory(StubDataSource stub) {
            this.stub = stub;
        }

        @Override
        public Connection create() throws SQLException {
            return stub.getConnection();
        }

        @Override
        public PooledObject<Connection> wrap(Connection c) {
            return new DefaultPooledObject<>(c);
        }
    }
}
