package io.infrablocks.pool.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.infrablocks.pool.Lease;
import io.infrablocks.pool.Pool;
import io.infrablocks.pool.PoolMetrics;
import io.infrablocks.pool.TestFactory;
import io.infrablocks.pool.TestFactory.Res;
import io.infrablocks.testing.ChildJvm;
import io.infrablocks.testing.Jdks;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Thousands of virtual threads through a small pool, on a JDK 21+ in a child JVM (the build targets 17,
 * so virtual threads are reached through reflection). Skipped when no such JDK is installed.
 */
class VirtualThreadPoolTest {

    static final int THREADS = 5000;
    static final int ROUNDS = 3;
    static final int MAX_SIZE = 8;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void thousandsOfVirtualThreadsShareASmallPool() throws Exception {
        Optional<Path> jdk = Jdks.atLeast(21);
        Assumptions.assumeTrue(jdk.isPresent(), "no JDK 21+ installed");
        Process p = ChildJvm.of(jdk.get()).jvmArgs("-Xmx256m").start(Main.class);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.waitFor(), out);
        assertEquals("OK acquired=" + THREADS * ROUNDS + " maxLive<=" + MAX_SIZE + " timeouts=0 waiting=0", out);
    }

    /** The child: runs the virtual threads and prints one result line. */
    public static final class Main {
        private Main() {}

        /**
         * Entry point of the child JVM.
         *
         * @param args ignored
         * @throws Exception on failure (non-zero exit)
         */
        public static void main(String[] args) throws Exception {
            ExecutorService vts = (ExecutorService) java.util.concurrent.Executors.class
                    .getMethod("newVirtualThreadPerTaskExecutor")
                    .invoke(null);
            TestFactory factory = new TestFactory();
            Pool<Res> pool = Pool.builder(factory)
                    .name("vt")
                    .maxSize(MAX_SIZE)
                    .acquireTimeout(Duration.ofSeconds(60))
                    .build();
            AtomicInteger ok = new AtomicInteger();
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                fs.add(vts.submit(() -> {
                    start.await();
                    for (int r = 0; r < ROUNDS; r++) {
                        try (Lease<Res> lease = pool.acquire()) {
                            lease.get();
                            LockSupport.parkNanos(20_000); // simulated query: the carrier is released
                            ok.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : fs) {
                f.get(100, TimeUnit.SECONDS);
            }
            PoolMetrics m = pool.metrics();
            pool.close();
            vts.shutdown();
            String maxLive = factory.maxLive.get() <= MAX_SIZE ? "maxLive<=" + MAX_SIZE : "maxLive=" + factory.maxLive;
            System.out.println("OK acquired=" + m.acquired() + " " + maxLive + " timeouts=" + m.timeouts() + " waiting="
                    + m.waiting());
            if (ok.get() != THREADS * ROUNDS) {
                System.exit(2);
            }
        }
    }
}
