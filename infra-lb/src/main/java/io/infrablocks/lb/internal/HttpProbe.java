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
 * {@code GET http://host:port<path>} with {@link HttpClient}; a 2xx or 3xx status is healthy.
 *
 * <p>Threads: the client's executor takes its threads from the balancer's {@link ThreadFactory}. The
 * client also runs one selector thread that no public API lets us supply: the JDK creates it itself
 * (named {@code HttpClient-<n>-SelectorManager}, a daemon) on every JDK from 11 to at least 25, so it is
 * the one thread of the balancer that does not come from the factory and is not named {@code infra-lb-…}.
 * On JDK 21 and later {@link #close()} calls {@code HttpClient.shutdownNow()} (looked up reflectively, as
 * we compile for 17), which ends it at once; on JDK 17 to 20, which have no such method, it ends by itself
 * once the closed client is unreachable and collected (it polls for that), so it can outlive {@code
 * close()} until the next garbage collection, idle.
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
        HttpClient c = client;
        client = null;
        if (c != null) {
            shutdownNow(c);
        }
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

    /** {@code HttpClient.shutdownNow()} where the JDK has it (21+); nothing on 17 to 20. */
    private static void shutdownNow(HttpClient c) {
        try {
            HttpClient.class.getMethod("shutdownNow").invoke(c);
        } catch (NoSuchMethodException e) {
            // JDK 17 to 20: the selector thread ends once the client is collected
        } catch (ReflectiveOperationException | RuntimeException e) {
            // a failed shutdown leaves only an idle daemon thread behind; nothing to report to the caller
        }
    }

    @Override
    public String toString() {
        return "http GET " + path;
    }
}
