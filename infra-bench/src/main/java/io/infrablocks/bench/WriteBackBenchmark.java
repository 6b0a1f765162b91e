package io.infrablocks.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.infrablocks.cache.Cache;
import io.infrablocks.cache.CacheBuilder;
import io.infrablocks.cache.Codec;
import io.infrablocks.cache.WriteBackCache;
import io.infrablocks.cache.WriteBackMetrics;
import io.infrablocks.cache.jdbc.JdbcCacheStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Put throughput of the write-back cache against the write-through baseline (each put stored synchronously
 * with one upsert), both over the same {@link JdbcCacheStore} on an H2 file database through HikariCP; and the
 * write-back cache's coalescing ratio (writes per row written) under a Zipf or uniform key distribution,
 * printed at the end of each trial.
 *
 * <ul>
 *   <li>{@code WRITE_BACK}: {@code WriteBackCache.put} (no journal: acknowledged from memory).
 *   <li>{@code WRITE_BACK_JOURNAL}: the same with {@code journal(dir)} (SYNC, group commit: one fsync per group
 *       of concurrent puts).
 *   <li>{@code WRITE_THROUGH}: {@code store.writeAll(Map.of(k, v))} then {@code cache.put(k, v)} per put.
 * </ul>
 *
 * <p>Throughput is sustained: the dirty bound (10 000 keys, a tenth of the key space) makes write-back callers wait when the writers
 * cannot keep up, so the figure includes the store's cost amortized over batches and coalescing.
 *
 * <p>Run: {@code java -jar benchmarks.jar WriteBackBenchmark -f 1 -wi 2 -w 2s -i 3 -r 2s -t 2}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class WriteBackBenchmark {

    /** How puts reach the database. */
    public enum WriteMode {
        /** Write-back, acknowledged from memory. */
        WRITE_BACK,
        /** Write-back with the journal (durable acknowledgement). */
        WRITE_BACK_JOURNAL,
        /** Synchronous upsert per put. */
        WRITE_THROUGH
    }

    /** The write path under test. */
    @Param({"WRITE_BACK", "WRITE_BACK_JOURNAL", "WRITE_THROUGH"})
    public WriteMode mode;

    /** The key distribution: {@code zipf} (exponent 0.99) or {@code uniform}. */
    @Param({"zipf", "uniform"})
    public String distribution;

    /** Distinct keys. */
    @Param({"100000"})
    public int keys;

    private Path dir;
    private HikariDataSource dataSource;
    private JdbcCacheStore<Long, String> store;
    private WriteBackCache<Long, String> writeBack;
    private Cache<Long, String> cache;
    private double[] zipfCdf;

    /**
     * Creates the database, the table, the store and the cache under test.
     *
     * @throws IOException when the temporary directory cannot be made
     * @throws SQLException when the table cannot be made
     */
    @Setup(Level.Trial)
    public void setUp() throws IOException, SQLException {
        dir = Files.createTempDirectory("wb-bench");
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl("jdbc:h2:file:" + dir.resolve("db"));
        config.setMaximumPoolSize(8);
        dataSource = new HikariDataSource(config);
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE wb_bench (k BIGINT PRIMARY KEY, v VARBINARY(200) NOT NULL)");
        }
        store = JdbcCacheStore.builder(dataSource, Long.class, Codec.utf8())
                .table("wb_bench")
                .build();
        if (mode == WriteMode.WRITE_THROUGH) {
            cache = CacheBuilder.newBuilder().maximumSize(10_000).build();
        } else {
            var builder = CacheBuilder.newBuilder()
                    .maximumSize(10_000)
                    .writeBack(store)
                    .name("bench")
                    .maxDelay(Duration.ofMillis(100))
                    .batchSize(500)
                    .writerThreads(2)
                    .maxDirty(10_000)
                    .dirtyTimeout(Duration.ofMinutes(5))
                    .closeTimeout(Duration.ofMinutes(5));
            if (mode == WriteMode.WRITE_BACK_JOURNAL) {
                builder.journal(dir.resolve("journal")).codecs(Codec.int64(), Codec.utf8());
            }
            writeBack = builder.build();
        }
        zipfCdf = zipfCdf(keys, 0.99);
    }

    /**
     * Flushes, prints the write-back metrics (coalescing ratio), closes and deletes everything.
     *
     * @throws IOException when the temporary directory cannot be deleted
     */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (writeBack != null) {
            writeBack.flush().join();
            WriteBackMetrics m = writeBack.metrics();
            System.out.printf(
                    "%n[write-back %s %s] writes %d, rows written %d, coalescing ratio %.2f, store calls %d,"
                            + " mean batch %.1f, mean store call %.2f ms, backpressure waits %d%n",
                    mode,
                    distribution,
                    m.writes(),
                    m.storedWrites(),
                    m.coalescingRatio(),
                    m.storeBatches(),
                    m.meanBatchSize(),
                    m.meanStoreNanos() / 1e6,
                    m.backpressureWaits());
            writeBack.close();
        }
        dataSource.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * One put of a random key.
     *
     * @return the key written
     */
    @Benchmark
    public long put() {
        long key = nextKey();
        String value = Long.toString(ThreadLocalRandom.current().nextLong());
        if (writeBack != null) {
            writeBack.put(key, value);
        } else {
            store.writeAll(Map.of(key, value));
            cache.put(key, value);
        }
        return key;
    }

    private long nextKey() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        if (distribution.equals("uniform")) {
            return random.nextInt(keys);
        }
        double u = random.nextDouble();
        int lo = 0;
        int hi = zipfCdf.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (zipfCdf[mid] < u) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** The cumulative distribution of Zipf(n, s): rank i (0-based) has weight 1/(i+1)^s. */
    static double[] zipfCdf(int n, double s) {
        double[] cdf = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += 1 / Math.pow(i + 1, s);
            cdf[i] = sum;
        }
        for (int i = 0; i < n; i++) {
            cdf[i] /= sum;
        }
        return cdf;
    }
}
