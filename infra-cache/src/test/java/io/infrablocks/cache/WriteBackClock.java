package io.infrablocks.cache;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A manual nanosecond clock. */
final class WriteBackClock implements Ticker {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    @Override
    public long read() {
        return nanos.get();
    }

    void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }
}
