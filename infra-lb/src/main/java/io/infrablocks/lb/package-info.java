/**
 * Client-side load balancing, the way gRPC, Finagle and Envoy balance inside the caller: strategies
 * (round-robin, nginx smooth weighted round-robin, random, least-connections, peak-EWMA least response time,
 * power of two choices, key hash, ring, Maglev, rendezvous and jump consistent hashing, bounded loads),
 * active health checks (TCP, HTTP), passive outlier detection, panic mode, slow start, failover, sticky
 * sessions and draining.
 *
 * <p>The entry point is {@link io.infrablocks.lb.LoadBalancer#builder()}; {@code pick} is lock-free and
 * allocation-free, and every pick is completed through its {@link io.infrablocks.lb.Selection}:
 *
 * <pre>{@code
 * try (LoadBalancer lb = LoadBalancer.builder()
 *         .name("orders")
 *         .endpoints(Endpoint.of("a", "10.0.0.1", 8080), Endpoint.of("b", "10.0.0.2", 8080))
 *         .strategy(Strategy.p2cEwma())
 *         .healthCheck(HealthCheck.builder(HealthProbe.http("/health")).build())
 *         .slowStart(Duration.ofSeconds(30))
 *         .build()) {
 *     Selection s = lb.pick(Request.ofKey(sessionId));
 *     long start = System.nanoTime();
 *     try {
 *         send(s.endpoint().address());
 *         s.success(System.nanoTime() - start);
 *     } catch (IOException e) {
 *         s.failure(System.nanoTime() - start);
 *     }
 *     lb.drain("a");                                   // rolling deploy: detach,
 *     lb.awaitDrained(endpointA, Duration.ofSeconds(30)); // let calls finish, deploy,
 *     lb.undrain("a");                                 // re-attach
 * }
 * }</pre>
 */
package io.infrablocks.lb;
