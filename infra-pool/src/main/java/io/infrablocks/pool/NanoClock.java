package io.infrablocks.pool;

/**
 * A monotonic nanosecond time source, injectable so that tests make time pass without sleeping.
 * Timeouts, idle and lifetime expiry, keepalive and leak detection all read this clock.
 */
@FunctionalInterface
public interface NanoClock {

    /**
     * The current time in nanoseconds, with the semantics of {@link System#nanoTime()} (only differences
     * are meaningful).
     *
     * @return the current time
     */
    long nanoTime();

    /**
     * The system clock, {@link System#nanoTime()}.
     *
     * @return the system clock
     */
    static NanoClock system() {
        return SystemNanoClock.INSTANCE;
    }
}

/** The system clock as a singleton, so the pool can recognise it and park without slicing. */
enum SystemNanoClock implements NanoClock {
    INSTANCE;

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }
}
