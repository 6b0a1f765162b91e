/**
 * A resource pool with strict FIFO hand-off to waiting callers, validation, keepalive and leak detection.
 *
 * <p>Build a {@link io.infrablocks.pool.Pool} over a {@link io.infrablocks.pool.ResourceFactory} with
 * {@link io.infrablocks.pool.Pool#builder(ResourceFactory)}; borrow with {@link
 * io.infrablocks.pool.Pool#acquire()}, which returns a {@link io.infrablocks.pool.Lease} to close:
 *
 * <pre>{@code
 * Pool<Session> pool = Pool.builder(new ResourceFactory<Session>() {
 *             public Session create() throws IOException { return Session.open(host); }
 *             public boolean validate(Session s) { return s.ping(); }
 *             public void destroy(Session s) { s.close(); }
 *         })
 *         .name("orders")
 *         .maxSize(10)
 *         .minIdle(2)
 *         .acquireTimeout(Duration.ofMillis(250))
 *         .failFast(true)
 *         .leakDetectionThreshold(Duration.ofSeconds(30))
 *         .build();
 * try (Lease<Session> lease = pool.acquire()) {
 *     lease.get().send(message);
 * } catch (PoolExhaustedException e) {
 *     // "pool 'orders' exhausted: 10 active, 0 idle, 37 waiting, timed out after 250 ms"
 * }
 * PoolMetrics m = pool.metrics(); // active, idle, waiting, acquire-wait p99, leaks ...
 * pool.close();
 * }</pre>
 *
 * <p>When callers wait, a returned or new resource goes to the one that has waited longest and a caller
 * arriving meanwhile never overtakes them; when nobody waits, acquire and release are lock-free. Where
 * throughput with more borrowing threads than CPUs matters more than fairness, {@link
 * io.infrablocks.pool.PoolBuilder#fair(boolean) fair(false)} lets running threads take an idle resource
 * ahead of the waiters (barging, as HikariCP and commons-pool2 do), and {@link
 * io.infrablocks.pool.PoolBuilder#fairness(Fairness) fairness}{@code (}{@link
 * io.infrablocks.pool.Fairness#hybrid(java.time.Duration) Fairness.hybrid(threshold)}{@code )} barges only
 * while the longest waiter has waited less than the threshold, then hands resources strictly in FIFO order
 * until the starvation is over, which bounds every wait. The JDBC data source built on it is
 * {@link io.infrablocks.pool.jdbc.PooledDataSource}.
 */
package io.infrablocks.pool;
