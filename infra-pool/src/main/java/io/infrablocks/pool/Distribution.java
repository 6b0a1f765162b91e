package io.infrablocks.pool;

import java.time.Duration;
import java.util.Objects;

/**
 * A latency distribution summarised from an HdrHistogram (2 significant digits, microsecond unit).
 *
 * @param count the number of samples
 * @param p50 the median
 * @param p99 the 99th percentile
 * @param max the largest sample
 */
public record Distribution(long count, Duration p50, Duration p99, Duration max) {

    /** An empty distribution. */
    public static final Distribution EMPTY = new Distribution(0, Duration.ZERO, Duration.ZERO, Duration.ZERO);

    /** Validates the components. */
    public Distribution {
        Objects.requireNonNull(p50, "p50");
        Objects.requireNonNull(p99, "p99");
        Objects.requireNonNull(max, "max");
    }
}
