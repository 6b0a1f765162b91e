package io.infrablocks.lb.internal;

import io.infrablocks.lb.Endpoint;
import io.infrablocks.lb.HealthProbe;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET http://host:port<path>} with {@link HttpClient}; a 2xx or 3xx status is healthy. The client's
 * executor takes its threads from the balancer's factory (JDK 17's client also starts one selector thread
 * of its own, which ends when the client is unreachable).
 */
public final class HttpProbe implements HealthProbe {

    private final String path;
    private volatile HttpClient client;
    private ExecutorService executor;

    /**
     * Creates the probe.
     *
     * @param path the path, starting with {@code /}
     */
    public HttpProbe(String path) {
        Objects.requireNonNull(path, "path");
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path must start with '/' but was '" + path + "'");
        }
        this.path = path;
    }

    @Override
    public synchronized void open(ThreadFactory threadFactory) {
        if (client != null) {
            throw new IllegalStateException("http probe " + path + " is already open; use one probe per balancer");
        }
        executor = Executors.newCachedThreadPool(threadFactory);
        client = HttpClient.newBuilder()
                .executor(executor)
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    @Override
    public boolean check(Endpoint endpoint, Duration timeout) throws IOException, InterruptedException {
        HttpClient c = client;
        if (c == null) {
            throw new IllegalStateException("http probe " + path + " is not open");
        }
        URI uri = URI.create("http://" + endpoint.address().getHostString() + ":"
                + endpoint.address().getPort() + path);
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
        HttpResponse<Void> response = c.send(request, HttpResponse.BodyHandlers.discarding());
        int status = response.statusCode();
        return status >= 200 && status < 400;
    }

    @Override
    public synchronized void close() {
        client = null;
        if (executor != null) {
            executor.shutdownNow();
            try {
                executor.awaitTermination(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            executor = null;
        }
    }

    @Override
    public String toString() {
        return "http GET " + path;
    }
}
