package io.infrablocks.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.infrablocks.lb.Endpoint;
import io.infrablocks.lb.HealthCheck;
import io.infrablocks.lb.HealthProbe;
import io.infrablocks.lb.LoadBalancer;
import io.infrablocks.lb.LoadBalancerStats;
import io.infrablocks.lb.NoAvailableEndpointException;
import io.infrablocks.lb.OutlierDetection;
import io.infrablocks.lb.Request;
import io.infrablocks.lb.Selection;
import io.infrablocks.lb.Strategy;
import io.infrablocks.pool.work.OverflowPolicy;
import io.infrablocks.pool.work.WorkerPool;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * The front tier: an HTTP reverse proxy on loopback that balances over the application servers with
 * infra-lb (P2C over peak-EWMA cost by default), active HTTP health checks on {@code /health}, passive
 * outlier detection, sticky sessions for requests carrying a {@code SESSION} cookie, and failover: a request
 * whose server refused the connection or answered 503 (queue full, so nothing ran) is retried on another
 * server. A request that timed out is not retried, since it may have run.
 */
final class FrontProxy implements AutoCloseable {

    private static final int MAX_ATTEMPTS = 3;

    private final LoadBalancer balancer;
    private final HttpServer server;
    private final WorkerPool workers;
    private final HttpClient http;
    private final LongAdder failovers = new LongAdder();
    private final LongAdder rebinds = new LongAdder();
    private final LongAdder noEndpoint = new LongAdder();
    private boolean closed;

    FrontProxy(List<Endpoint> endpoints, int threads) throws IOException {
        balancer = LoadBalancer.builder()
                .name("front")
                .endpoints(endpoints)
                .strategy(Strategy.p2cEwma())
                .healthCheck(HealthCheck.builder(HealthProbe.http("/health"))
                        .interval(Duration.ofMillis(200))
                        .timeout(Duration.ofMillis(150))
                        .rise(2)
                        .fall(2)
                        .build())
                .outlierDetection(OutlierDetection.builder()
                        .consecutiveFailures(3)
                        .baseEjectionTime(Duration.ofMillis(500))
                        .maxEjectionTime(Duration.ofSeconds(5))
                        .maxEjectionPercent(50)
                        .build())
                .stickySessions(10_000, Duration.ofMinutes(10))
                .build();
        http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofMillis(500))
                .build();
        workers = WorkerPool.builder("front")
                .workers(threads)
                .queueCapacity(threads * 4)
                .overflowPolicy(OverflowPolicy.BLOCK)
                .build();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        server.setExecutor(workers);
        server.createContext("/", this::handle);
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    LoadBalancerStats stats() {
        return balancer.stats();
    }

    long failovers() {
        return failovers.sum();
    }

    long rebinds() {
        return rebinds.sum();
    }

    long noEndpoint() {
        return noEndpoint.sum();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            String session = session(exchange.getRequestHeaders().getFirst("Cookie"));
            Request request = session == null ? Request.none() : Request.ofKey(session);
            Set<String> tried = new HashSet<>();
            for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
                Selection selection;
                try {
                    selection = balancer.pick(request);
                } catch (NoAvailableEndpointException e) {
                    noEndpoint.increment();
                    reply(exchange, 503, "no server available: " + e.getMessage(), null);
                    return;
                }
                Endpoint endpoint = selection.endpoint();
                if (selection.rebound()) {
                    rebinds.increment();
                }
                if (!tried.add(endpoint.id()) && attempt > 0) {
                    // The balancer offered a server that already failed this request: give up the pick.
                    selection.release();
                    continue;
                }
                long start = System.nanoTime();
                try {
                    HttpResponse<byte[]> response =
                            http.send(forward(exchange, endpoint, body), HttpResponse.BodyHandlers.ofByteArray());
                    long latency = System.nanoTime() - start;
                    if (response.statusCode() == 503) {
                        selection.failure(latency);
                        failovers.increment();
                        continue;
                    }
                    selection.complete(response.statusCode() < 500, latency);
                    reply(exchange, response.statusCode(), response.body(), endpoint.id());
                    return;
                } catch (HttpTimeoutException e) {
                    selection.failure(System.nanoTime() - start);
                    reply(exchange, 504, "server " + endpoint.id() + " timed out", endpoint.id());
                    return;
                } catch (ConnectException e) {
                    selection.failure(System.nanoTime() - start);
                    failovers.increment();
                } catch (IOException e) {
                    selection.failure(System.nanoTime() - start);
                    if (!"GET".equals(exchange.getRequestMethod())) {
                        reply(exchange, 502, "server " + endpoint.id() + " failed: " + e, endpoint.id());
                        return;
                    }
                    failovers.increment();
                } catch (InterruptedException e) {
                    selection.release();
                    Thread.currentThread().interrupt();
                    reply(exchange, 503, "proxy interrupted", null);
                    return;
                }
            }
            reply(exchange, 502, "no server answered after " + MAX_ATTEMPTS + " attempts", null);
        }
    }

    private static HttpRequest forward(HttpExchange exchange, Endpoint endpoint, byte[] body) {
        InetSocketAddress address = endpoint.address();
        URI uri = URI.create("http://" + address.getHostString() + ":" + address.getPort()
                + exchange.getRequestURI().getRawPath());
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(3));
        return switch (exchange.getRequestMethod()) {
            case "PUT" -> b.PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build();
            case "DELETE" -> b.DELETE().build();
            default -> b.GET().build();
        };
    }

    static String session(String cookieHeader) {
        if (cookieHeader == null) {
            return null;
        }
        for (String part : cookieHeader.split(";")) {
            String p = part.trim();
            if (p.startsWith("SESSION=") && p.length() > "SESSION=".length()) {
                return p.substring("SESSION=".length());
            }
        }
        return null;
    }

    private static void reply(HttpExchange exchange, int status, String text, String servedBy) throws IOException {
        reply(exchange, status, text.getBytes(StandardCharsets.UTF_8), servedBy);
    }

    private static void reply(HttpExchange exchange, int status, byte[] body, String servedBy) throws IOException {
        if (servedBy != null) {
            exchange.getResponseHeaders().set("X-Served-By", servedBy);
        }
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        shutdown();
    }

    /** Stops serving and health checking; idempotent. */
    void shutdown() {
        if (closed) {
            return;
        }
        closed = true;
        server.stop(0);
        workers.close();
        balancer.close();
    }
}
