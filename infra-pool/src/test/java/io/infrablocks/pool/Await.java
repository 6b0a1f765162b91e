package io.infrablocks.pool;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Waits for a condition another thread makes true (bounded; polls, never sleeps to let time pass). */
public final class Await {
    private Await() {}

    /**
     * Polls {@code condition} until true, failing after 10 s.
     *
     * @param what described in the failure
     * @param condition the condition
     */
    public static void until(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting until " + what);
            }
            LockSupport.parkNanos(50_000);
        }
    }
}
