package io.infrablocks.pool.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.infrablocks.pool.Pool;
import io.infrablocks.pool.ResourceFactory;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** close() must not return while a resource it will have to destroy is still being created. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FairPoolCloseTest {

    @Test
    void closeWaitsForACreationInFlightAndDestroysItsResource() throws Exception {
        CountDownLatch creating = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger live = new AtomicInteger();
        ResourceFactory<Object> factory = new ResourceFactory<>() {
            @Override
            public Object create() throws Exception {
                creating.countDown();
                release.await();
                live.incrementAndGet();
                return new Object();
            }

            @Override
            public void destroy(Object resource) {
                live.decrementAndGet();
            }
        };
        Pool<Object> pool =
                Pool.builder(factory).name("close").maxSize(1).minIdle(1).build();
        assertTrue(creating.await(10, TimeUnit.SECONDS), "the minIdle creation started");
        CompletableFuture<Boolean> closed = CompletableFuture.supplyAsync(() -> pool.close(Duration.ofSeconds(10)));
        // While the creation is held, close() must not return (it has 10 s; the bug returned at once).
        assertThrows(TimeoutException.class, () -> closed.get(500, TimeUnit.MILLISECONDS));
        release.countDown();
        assertTrue(closed.get(20, TimeUnit.SECONDS), "closed cleanly");
        assertEquals(0, live.get(), "the resource created during close was destroyed before close returned");
    }
}
