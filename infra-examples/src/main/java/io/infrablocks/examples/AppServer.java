package io.infrablocks.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.infrablocks.cache.CacheBuilder;
import io.infrablocks.cache.Codec;
import io.infrablocks.cache.WriteBackCache;
import io.infrablocks.cache.WriteBackMetrics;
import io.infrablocks.cache.jdbc.JdbcCacheStore;
import io.infrablocks.pool.PoolMetrics;
import io.infrablocks.pool.jdbc.PooledDataSource;
import io.infrablocks.pool.work.OverflowPolicy;
import io.infrablocks.pool.work.WorkerPool;
import io.infrablocks.pool.work.WorkerPoolMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One application server: an HTTP server on loopback whose requests run on a {@link WorkerPool} (bounded
 * queue; overflow answers 503), reading and writing keys through a journaled write-back cache in front of a
 * {@link JdbcCacheStore}, which reaches the database through a {@link PooledDataSource}.
 *
 * <p>{@code GET /kv/{key}} answers the value (200) or 404; {@code PUT /kv/{key}} stores the body and answers
 * 200 once the write is in the journal; {@code GET /health} answers 200 while the server runs.
 *
 * <p>Values carry a version ({@code v<version>:<payload>}); the store applies a write only when it is newer
 * than the row, so the servers' independent write-back flushes cannot reorder one key's writes.
 *
 * <p>Stopping closes the HTTP server at once (connections are refused, requests in flight fail), the worker
 * pool, the cache (which flushes,
 * and leaves in its journal what it could not store) and the connection pool. Starting again replays the
 * journal, so a write acknowledged before the stop reaches the database.
 */
final class AppServer implements AutoCloseable {

    private final String name;
    private final Database database;
    private final Path journalDir;
    private final int workerThreads;
    private volatile boolean slow;
    private int port;
    /** Guards start and stop, which block (no blocking inside synchronized). */
    private final ReentrantLock lifecycle = new ReentrantLock();

    private HttpServer http;
    private WorkerPool workers;
    private PooledDataSource dataSource;
    private WriteBackCache<String, String> cache;

    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final Totals totals = new Totals();

    /** Counters summed over the server's incarnations (a restart starts new pools and a new cache). */
    static final class Totals {
        long rejected;
        long completed;
        long journalWrites;
        long storedWrites;
        long storeBatches;
        long replayed;
        long acquireWaitP99Nanos;
        long queueWaitP99Nanos;
    }

    AppServer(String name, Database database, Path journalDir, int workerThreads) {
        this.name = name;
        this.database = database;
        this.journalDir = journalDir;
        this.workerThreads = workerThreads;
    }

    String name() {
        return name;
    }

    int port() {
        return port;
    }

    void slow(boolean value) {
        slow = value;
    }

    boolean running() {
        lifecycle.lock();
        try {
            return http != null;
        } finally {
            lifecycle.unlock();
        }
    }

    /** Starts (or restarts on the same port) the server and everything it owns. */
    void start() throws IOException {
        lifecycle.lock();
        try {
            startLocked();
        } finally {
            lifecycle.unlock();
        }
    }

    private void startLocked() throws IOException {
        if (http != null) {
            throw new IllegalStateException("server " + name + " is already running");
        }
        dataSource = database.pooled(name);
        JdbcCacheStore<String, String> store = database.store(dataSource);
        cache = CacheBuilder.newBuilder()
                .maximumSize(2_000)
                .writeBack(store)
                .name(name)
                .maxDelay(Duration.ofMillis(50))
                .batchSize(200)
                .maxDirty(20_000)
                .journal(journalDir)
                .codecs(Codec.utf8(), Codec.utf8())
                .closeTimeout(Duration.ofSeconds(5))
                .build();
        workers = WorkerPool.builder(name)
                .workers(workerThreads)
                .queueCapacity(workerThreads * 8)
                .overflowPolicy(OverflowPolicy.REJECT)
                .build();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
        server.createContext("/kv/", this::dispatch);
        server.createContext("/health", exchange -> reply(exchange, 200, "ok"));
        server.start();
        port = server.getAddress().getPort();
        http = server;
    }

    /** Runs on the HTTP server's dispatcher thread: hands the request to the worker pool, or answers 503. */
    private void dispatch(HttpExchange exchange) throws IOException {
        WorkerPool w = workers;
        try {
            w.execute(() -> handle(exchange));
        } catch (RejectedExecutionException e) {
            reply(exchange, 503, "server " + name + " overloaded: " + e.getMessage());
        }
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            if (slow) {
                Thread.sleep(200);
            }
            String key = exchange.getRequestURI().getPath().substring("/kv/".length());
            switch (exchange.getRequestMethod()) {
                case "GET" -> {
                    String value = cache.getIfPresent(key);
                    if (value != null) {
                        hits.increment();
                    } else {
                        misses.increment();
                        value = cache.get(key);
                    }
                    if (value == null) {
                        reply(exchange, 404, "");
                    } else {
                        reply(exchange, 200, value);
                    }
                }
                case "PUT" -> {
                    String value;
                    try (InputStream in = exchange.getRequestBody()) {
                        value = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    }
                    cache.put(key, value);
                    reply(exchange, 200, "");
                }
                default -> reply(exchange, 405, "");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            try {
                reply(exchange, 500, e.toString());
            } catch (IOException | RuntimeException ignored) {
                // The client is gone; nothing more to tell it.
            }
        }
    }

    private static void reply(HttpExchange exchange, int status, String text) throws IOException {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
        exchange.close();
    }

    /** Stops: connections refused from now on; flushes what it can; keeps the rest in the journal. */
    void stop() {
        lifecycle.lock();
        try {
            stopLocked();
        } finally {
            lifecycle.unlock();
        }
    }

    private void stopLocked() {
        if (http == null) {
            return;
        }
        // Abrupt, like a crash: the listener closes and open connections drop at once (stop(delay) would keep
        // serving keep-alive connections during the delay). Requests in flight fail; the proxy retries a
        // refused request elsewhere, and a write whose answer was lost is reported as uncertain.
        http.stop(0);
        http = null;
        workers.close();
        WorkerPoolMetrics wm = workers.metrics();
        totals.rejected += wm.rejected();
        totals.completed += wm.completed();
        totals.queueWaitP99Nanos = Math.max(totals.queueWaitP99Nanos, wm.queueWaitP99Nanos());
        cache.close();
        WriteBackMetrics cm = cache.metrics();
        totals.journalWrites += cm.writes();
        totals.storedWrites += cm.storedWrites();
        totals.storeBatches += cm.storeBatches();
        totals.replayed += cm.replayedWrites();
        PoolMetrics pm = dataSource.metrics();
        totals.acquireWaitP99Nanos =
                Math.max(totals.acquireWaitP99Nanos, pm.acquireWait().p99().toNanos());
        dataSource.close();
    }

    long hits() {
        return hits.sum();
    }

    long misses() {
        return misses.sum();
    }

    Totals totals() {
        return totals;
    }

    @Override
    public void close() {
        stop();
    }
}
