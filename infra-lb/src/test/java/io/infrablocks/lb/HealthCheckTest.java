package io.infrablocks.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class HealthCheckTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private static HttpServer startServer(int port, AtomicInteger status) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(LOOPBACK, port), 0);
        server.createContext("/health", exchange -> {
            byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status.get(), body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return server;
    }

    /** Health events, awaited with a timeout (the probe threads are real). */
    private static final class Events implements LoadBalancerListener {
        final BlockingQueue<String> queue = new LinkedBlockingQueue<>();

        @Override
        public void onHealthChanged(Endpoint endpoint, boolean up) {
            queue.add(endpoint.id() + (up ? " up" : " down"));
        }

        String next() throws InterruptedException {
            String e = queue.poll(20, TimeUnit.SECONDS);
            if (e == null) {
                throw new AssertionError("no health event within 20 s");
            }
            return e;
        }
    }

    @Test
    void httpProbeMarksServerDownAndBackUp() throws Exception {
        AtomicInteger statusA = new AtomicInteger(200);
        AtomicInteger statusB = new AtomicInteger(200);
        HttpServer a = startServer(0, statusA);
        HttpServer b = startServer(0, statusB);
        int portA = a.getAddress().getPort();
        Events events = new Events();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        HealthProbe http = HealthProbe.http("/health");
        HealthProbe recording = new HealthProbe() {
            @Override
            public boolean check(Endpoint endpoint, Duration timeout) throws Exception {
                threads.add(Thread.currentThread().getName());
                return http.check(endpoint, timeout);
            }

            @Override
            public void open(java.util.concurrent.ThreadFactory threadFactory) {
                http.open(threadFactory);
            }

            @Override
            public void close() {
                http.close();
            }
        };
        try (LoadBalancer lb = LoadBalancer.builder()
                .name("web")
                .endpoints(
                        Endpoint.of("a", new InetSocketAddress(LOOPBACK, portA)),
                        Endpoint.of(
                                "b",
                                new InetSocketAddress(LOOPBACK, b.getAddress().getPort())))
                .strategy(Strategy.roundRobin())
                .panicThreshold(0)
                .listener(events)
                .healthCheck(HealthCheck.builder(recording)
                        .interval(Duration.ofMillis(20))
                        .timeout(Duration.ofSeconds(2))
                        .rise(2)
                        .fall(2)
                        .build())
                .build()) {
            // the application answers 503: down, then 200 again: up
            statusA.set(503);
            assertEquals("a down", events.next());
            assertEquals(EndpointStatus.DOWN, lb.stats().endpoints().get(0).status());
            for (int i = 0; i < 10; i++) {
                Selection s = lb.pick();
                assertEquals("b", s.endpoint().id());
                s.success(1);
            }
            statusA.set(200);
            assertEquals("a up", events.next());
            // the server process goes away, then comes back on the same port
            a.stop(0);
            assertEquals("a down", events.next());
            a = startServer(portA, statusA);
            assertEquals("a up", events.next());
            assertEquals(EndpointStatus.HEALTHY, lb.stats().endpoints().get(0).status());
            int picksOfA = 0;
            for (int i = 0; i < 10; i++) {
                Selection s = lb.pick();
                picksOfA += s.endpoint().id().equals("a") ? 1 : 0;
                s.success(1);
            }
            assertEquals(5, picksOfA);
            assertTrue(
                    !threads.isEmpty() && threads.stream().allMatch(t -> t.startsWith("infra-lb-web-")),
                    "threads " + threads);
            assertTrue(events.queue.isEmpty(), "unexpected events " + events.queue);
        } finally {
            a.stop(0);
            b.stop(0);
        }
    }

    @Test
    void tcpProbeFollowsTheListeningSocket() throws Exception {
        ServerSocket socket = new ServerSocket(0, 50, LOOPBACK);
        int port = socket.getLocalPort();
        Events events = new Events();
        AtomicInteger created = new AtomicInteger();
        try (LoadBalancer lb = LoadBalancer.builder()
                .endpoints(Endpoint.of("t", new InetSocketAddress(LOOPBACK, port)))
                .listener(events)
                .threadFactory(r -> {
                    created.incrementAndGet();
                    Thread t = new Thread(r, "custom-" + created.get());
                    t.setDaemon(true);
                    return t;
                })
                .healthCheck(HealthCheck.builder(HealthProbe.tcp())
                        .interval(Duration.ofMillis(20))
                        .timeout(Duration.ofSeconds(1))
                        .rise(1)
                        .fall(1)
                        .build())
                .build()) {
            socket.close();
            assertEquals("t down", events.next());
            socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(LOOPBACK, port));
            assertEquals("t up", events.next());
            assertTrue(created.get() >= 1);
            assertEquals(EndpointStatus.HEALTHY, lb.stats().endpoints().get(0).status());
        } finally {
            socket.close();
        }
    }

    @Test
    void healthCheckSettingsAreValidated() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class,
                () -> HealthCheck.builder(HealthProbe.tcp()).rise(0).build());
        assertEquals("rise must be >= 1 but was 0", e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> HealthProbe.http("health"));
        assertEquals("path must start with '/' but was 'health'", e.getMessage());
        assertEquals(List.of(), List.of());
    }
}
