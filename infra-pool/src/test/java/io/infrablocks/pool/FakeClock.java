package io.infrablocks.pool;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that moves only when told. */
public final class FakeClock implements NanoClock {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    /** Starts at an arbitrary instant. */
    public FakeClock() {}

    @Override
    public long nanoTime() {
        return now.get();
    }

    /**
     * Moves time forward.
     *
     * @param d how much
     */
    public void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }
}
