package io.infrablocks.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.infrablocks.pool.jdbc.PooledDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
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

/**
 * Connection-pool acquire + release cycle, in the style of the HikariCP-benchmark's ConnectionBench: each
 * operation borrows a connection from a pool over a stub JDBC driver (no I/O, {@link StubDataSource}) and
 * returns it. Pools: {@code infrablocks} ({@link PooledDataSource}), {@code hikari} (HikariCP), {@code
 * commons-pool2} (a GenericObjectPool of the stub connections: it has no JDBC layer, so it does less
 * work per cycle than the other two).
 *
 * <ul>
 *   <li>{@code cycle1Thread}, {@code cycle2Threads}: pool size 32, 1 and 2 threads (uncontended).
 *   <li>{@code oversubscribed}: 8 threads over 4 connections, throughput.
 *   <li>{@code oversubscribedWait}: the same in SampleTime mode; its p99 is the acquire-wait p99 (the
 *       cycle is nanoseconds, so the sampled time is the wait).
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
    @Param({"infrablocks", "hikari", "commons-pool2"})
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
                infrablocks = PooledDataSource.builder()
                        .dataSource(stub)
                        .pool(p -> p.name("bench").maxSize(size).minIdle(size).acquireTimeout(Duration.ofSeconds(8)))
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
