package io.infrablocks.examples;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.ToIntFunction;

/**
 * N clients sending requests to the front balancer until a deadline: Zipf-distributed keys, 80% reads and
 * 20% writes, a quarter of the clients carrying a session cookie (sticky).
 *
 * <p>Writes to one key never overlap: a client holds the key's stripe lock from sending a write until its
 * answer, so the last acknowledged value of a key is well defined and the final check ("the database holds
 * the last acknowledged value of every key") is exact. Each write carries the key's next version
 * ({@code <version>:c<client>-<seq>}), so the database keeps the newest write whichever server stores it first.
 * A write whose answer never came (timeout, reset) may or may not have been applied; it is remembered as
 * uncertain until the key's next acknowledged write, and the check accepts either.
 */
final class LoadGenerator {

    private static final int STRIPES = 1024;

    private final URI front;
    private final int clients;
    private final Zipf zipf;
    private final long seed;
    private volatile RunSeries series;
    private final ToIntFunction<String> serverIndex;
    private final HttpClient http;
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
    private final Map<String, String> acked = new ConcurrentHashMap<>();
    private final Map<String, String> uncertain = new ConcurrentHashMap<>();
    private final Map<String, Long> versions = new ConcurrentHashMap<>();
    private final AtomicLong writesAcked = new AtomicLong();

    LoadGenerator(URI front, int clients, int keys, long seed, RunSeries series, ToIntFunction<String> serverIndex) {
        this.front = front;
        this.clients = clients;
        this.zipf = new Zipf(keys, 0.99);
        this.seed = seed;
        this.series = series;
        this.serverIndex = serverIndex;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2))
                .build();
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    /** The last acknowledged value of every key written. */
    Map<String, String> acknowledged() {
        return acked;
    }

    /** Per key, a write after the last acknowledged one whose outcome is unknown. */
    Map<String, String> uncertain() {
        return uncertain;
    }

    long writesAcknowledged() {
        return writesAcked.get();
    }

    /**
     * Sends load for {@code seconds} without recording it (JIT compilation, connection pools and caches warm
     * up), so the measured run starts from a steady state. Writes made here are verified like the others.
     *
     * @throws InterruptedException when interrupted while waiting for the clients
     */
    void warmUp(int seconds) throws InterruptedException {
        RunSeries measured = series;
        series = new RunSeries(seconds, measured.servers());
        try {
            long start = System.nanoTime();
            run(start, start + seconds * 1_000_000_000L);
        } finally {
            series = measured;
        }
    }

    /**
     * Runs the clients from {@code startNanos} until {@code endNanos} (System.nanoTime), then returns.
     *
     * @throws InterruptedException when interrupted while waiting for the clients
     */
    void run(long startNanos, long endNanos) throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            Thread t = new Thread(() -> client(client, startNanos, endNanos), "demo-client-" + c);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
    }

    private void client(int client, long startNanos, long endNanos) {
        SplittableRandom random = new SplittableRandom(seed * 1_000_003L + client);
        String session = client % 4 == 0 ? "SESSION=client-" + client : null;
        long seq = 0;
        while (true) {
            long now = System.nanoTime();
            if (now >= endNanos) {
                return;
            }
            String key = "k" + zipf.next(random);
            boolean write = random.nextInt(5) == 0;
            if (write) {
                ReentrantLock lock = stripes[Math.floorMod(key.hashCode(), STRIPES)];
                lock.lock();
                try {
                    long version = versions.merge(key, 1L, Long::sum);
                    String value = version + ":c" + client + "-" + (++seq);
                    int status = send(startNanos, key, value, session);
                    if (status == 200) {
                        acked.put(key, value);
                        uncertain.remove(key);
                        writesAcked.incrementAndGet();
                    } else if (status == -1 || status == 502 || status == 504) {
                        uncertain.put(key, value);
                    }
                } finally {
                    lock.unlock();
                }
            } else {
                send(startNanos, key, null, session);
            }
        }
    }

    /** Sends one request and records it; returns the status, or -1 when no answer came. */
    private int send(long startNanos, String key, String value, String session) {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(front.resolve("/kv/" + key)).timeout(Duration.ofSeconds(5));
        if (session != null) {
            request.header("Cookie", session);
        }
        if (value != null) {
            request.PUT(HttpRequest.BodyPublishers.ofString(value));
        } else {
            request.GET();
        }
        long t0 = System.nanoTime();
        int second = (int) ((t0 - startNanos) / 1_000_000_000L);
        int status = -1;
        int server = -1;
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            status = response.statusCode();
            server = response.headers()
                    .firstValue("X-Served-By")
                    .map(serverIndex::applyAsInt)
                    .orElse(-1);
        } catch (IOException e) {
            status = -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long micros = (System.nanoTime() - t0) / 1000;
        boolean ok = status == 200 || status == 404;
        series.record(second, micros, ok, server);
        return status;
    }
}
