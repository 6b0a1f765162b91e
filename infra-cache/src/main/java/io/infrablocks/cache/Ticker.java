package io.infrablocks.cache;

/**
 * A nanosecond time source for expiry, replaceable in tests so that they never sleep to make time pass.
 */
@FunctionalInterface
public interface Ticker {

    /**
     * The current time in nanoseconds from an arbitrary origin; only differences are meaningful.
     *
     * @return the time
     */
    long read();

    /**
     * The system's monotonic clock, {@link System#nanoTime()}.
     *
     * @return the system ticker
     */
    static Ticker system() {
        return System::nanoTime;
    }
}
