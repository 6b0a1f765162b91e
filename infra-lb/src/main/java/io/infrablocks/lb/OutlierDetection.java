package io.infrablocks.lb;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of passive outlier detection, fed by {@link Selection#failure}: an endpoint is ejected after
 * {@code consecutiveFailures} failures in a row, or when its failure rate over a window of at least
 * {@code failureRateMinimumRequests} calls reaches {@code failureRateThreshold}. The n-th ejection of an
 * endpoint lasts {@code n × baseEjectionTime} (capped at {@code maxEjectionTime}), as in Envoy; n decays
 * like Envoy's ejection multiplier: it drops by one for every whole {@code baseEjectionTime} the endpoint
 * has stayed in service since its last ejection ended (so {@link EndpointStats#ejections()} reports the
 * decayed count). At most
 * {@code maxEjectionPercent} of the endpoints are ejected at once, but always at least one may be.
 *
 * <pre>{@code
 * OutlierDetection od = OutlierDetection.builder().consecutiveFailures(5)
 *         .failureRate(0.5, 20, Duration.ofSeconds(10)).baseEjectionTime(Duration.ofSeconds(30)).build();
 * }</pre>
 */
public final class OutlierDetection {

    private static final OutlierDetection DISABLED = new OutlierDetection(new Builder().consecutiveFailures(0));

    private final int consecutiveFailures;
    private final double failureRateThreshold;
    private final int failureRateMinimumRequests;
    private final Duration failureRateWindow;
    private final Duration baseEjectionTime;
    private final Duration maxEjectionTime;
    private final int maxEjectionPercent;

    private OutlierDetection(Builder b) {
        this.consecutiveFailures = b.consecutiveFailures;
        this.failureRateThreshold = b.failureRateThreshold;
        this.failureRateMinimumRequests = b.failureRateMinimumRequests;
        this.failureRateWindow = b.failureRateWindow;
        this.baseEjectionTime = b.baseEjectionTime;
        this.maxEjectionTime = b.maxEjectionTime;
        this.maxEjectionPercent = b.maxEjectionPercent;
    }

    /**
     * Starts the settings.
     *
     * @return a builder with 5 consecutive failures, failure rate off, base ejection 30 s, max ejection
     *     300 s, at most 10 % ejected
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the defaults of {@link #builder()}, which the balancer uses unless told otherwise.
     *
     * @return the default settings
     */
    public static OutlierDetection defaults() {
        return new Builder().build();
    }

    /**
     * Returns settings that never eject.
     *
     * @return detection off
     */
    public static OutlierDetection disabled() {
        return DISABLED;
    }

    /**
     * Tells whether anything can be ejected.
     *
     * @return false for {@link #disabled()}
     */
    public boolean enabled() {
        return consecutiveFailures > 0 || failureRateThreshold > 0;
    }

    /**
     * Returns the failures in a row that eject an endpoint.
     *
     * @return the count, 0 when off
     */
    public int consecutiveFailures() {
        return consecutiveFailures;
    }

    /**
     * Returns the failure rate in [0, 1] that ejects an endpoint.
     *
     * @return the threshold, 0 when off
     */
    public double failureRateThreshold() {
        return failureRateThreshold;
    }

    /**
     * Returns the fewest calls in a window for the failure rate to count.
     *
     * @return the minimum
     */
    public int failureRateMinimumRequests() {
        return failureRateMinimumRequests;
    }

    /**
     * Returns the window of the failure rate.
     *
     * @return the window
     */
    public Duration failureRateWindow() {
        return failureRateWindow;
    }

    /**
     * Returns the duration of the first ejection.
     *
     * @return the base ejection time
     */
    public Duration baseEjectionTime() {
        return baseEjectionTime;
    }

    /**
     * Returns the longest ejection.
     *
     * @return the cap
     */
    public Duration maxEjectionTime() {
        return maxEjectionTime;
    }

    /**
     * Returns the largest share of endpoints ejected at once, in percent (at least one may always be).
     *
     * @return the percentage
     */
    public int maxEjectionPercent() {
        return maxEjectionPercent;
    }

    @Override
    public String toString() {
        return "OutlierDetection[consecutiveFailures=" + consecutiveFailures + ", failureRate="
                + failureRateThreshold + "/" + failureRateMinimumRequests + " in " + failureRateWindow
                + ", baseEjectionTime=" + baseEjectionTime + ", maxEjectionTime=" + maxEjectionTime
                + ", maxEjectionPercent=" + maxEjectionPercent + "]";
    }

    /** Builds {@link OutlierDetection}; validated at {@link #build()}. */
    public static final class Builder {
        private int consecutiveFailures = 5;
        private double failureRateThreshold;
        private int failureRateMinimumRequests = 20;
        private Duration failureRateWindow = Duration.ofSeconds(10);
        private Duration baseEjectionTime = Duration.ofSeconds(30);
        private Duration maxEjectionTime = Duration.ofSeconds(300);
        private int maxEjectionPercent = 10;

        private Builder() {}

        /**
         * Sets the failures in a row that eject an endpoint.
         *
         * @param value &gt;= 0, 0 turns this rule off
         * @return this builder
         */
        public Builder consecutiveFailures(int value) {
            this.consecutiveFailures = value;
            return this;
        }

        /**
         * Turns on ejection by failure rate.
         *
         * @param threshold failure rate in (0, 1] that ejects
         * @param minimumRequests fewest completions in a window for the rate to count, &gt;= 1
         * @param window the length of a window, &gt; 0
         * @return this builder
         */
        public Builder failureRate(double threshold, int minimumRequests, Duration window) {
            this.failureRateThreshold = threshold;
            this.failureRateMinimumRequests = minimumRequests;
            this.failureRateWindow = Objects.requireNonNull(window, "window");
            return this;
        }

        /**
         * Sets the duration of the first ejection; the n-th lasts n times as long.
         *
         * @param value &gt; 0
         * @return this builder
         */
        public Builder baseEjectionTime(Duration value) {
            this.baseEjectionTime = Objects.requireNonNull(value, "baseEjectionTime");
            return this;
        }

        /**
         * Sets the longest ejection.
         *
         * @param value &gt;= baseEjectionTime
         * @return this builder
         */
        public Builder maxEjectionTime(Duration value) {
            this.maxEjectionTime = Objects.requireNonNull(value, "maxEjectionTime");
            return this;
        }

        /**
         * Sets the largest share of endpoints ejected at once (at least one may always be ejected).
         *
         * @param value in [0, 100]
         * @return this builder
         */
        public Builder maxEjectionPercent(int value) {
            this.maxEjectionPercent = value;
            return this;
        }

        /**
         * Validates and builds the settings.
         *
         * @return the settings
         * @throws IllegalArgumentException naming the setting and the value when one is out of range
         */
        public OutlierDetection build() {
            if (consecutiveFailures < 0) {
                throw new IllegalArgumentException("consecutiveFailures must be >= 0 but was " + consecutiveFailures);
            }
            if (failureRateThreshold < 0 || failureRateThreshold > 1 || Double.isNaN(failureRateThreshold)) {
                throw new IllegalArgumentException(
                        "failureRateThreshold must be in [0, 1] but was " + failureRateThreshold);
            }
            if (failureRateMinimumRequests < 1) {
                throw new IllegalArgumentException(
                        "failureRateMinimumRequests must be >= 1 but was " + failureRateMinimumRequests);
            }
            if (failureRateWindow.isNegative() || failureRateWindow.isZero()) {
                throw new IllegalArgumentException("failureRateWindow must be > 0 but was " + failureRateWindow);
            }
            if (baseEjectionTime.isNegative() || baseEjectionTime.isZero()) {
                throw new IllegalArgumentException("baseEjectionTime must be > 0 but was " + baseEjectionTime);
            }
            if (maxEjectionTime.compareTo(baseEjectionTime) < 0) {
                throw new IllegalArgumentException("maxEjectionTime must be >= baseEjectionTime (" + baseEjectionTime
                        + ") but was " + maxEjectionTime);
            }
            if (maxEjectionPercent < 0 || maxEjectionPercent > 100) {
                throw new IllegalArgumentException(
                        "maxEjectionPercent must be in [0, 100] but was " + maxEjectionPercent);
            }
            return new OutlierDetection(this);
        }
    }
}
