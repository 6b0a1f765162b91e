package io.infrablocks.lb;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of active health checking, after HAProxy's {@code inter}/{@code rise}/{@code fall}: every
 * {@code interval} each endpoint is probed with a {@code timeout}; {@code fall} failures in a row mark it
 * down, {@code rise} successes in a row bring it back (through slow start when configured).
 *
 * <pre>{@code
 * HealthCheck check = HealthCheck.builder(HealthProbe.http("/health"))
 *         .interval(Duration.ofSeconds(2)).timeout(Duration.ofMillis(500)).rise(2).fall(3).build();
 * }</pre>
 */
public final class HealthCheck {

    private final HealthProbe probe;
    private final Duration interval;
    private final Duration timeout;
    private final int rise;
    private final int fall;

    private HealthCheck(Builder b) {
        this.probe = b.probe;
        this.interval = b.interval;
        this.timeout = b.timeout;
        this.rise = b.rise;
        this.fall = b.fall;
    }

    /**
     * Starts the settings of a health check.
     *
     * @param probe the check to run
     * @return a builder with interval 2 s, timeout 1 s, rise 2, fall 3
     */
    public static Builder builder(HealthProbe probe) {
        return new Builder(probe);
    }

    /**
     * Returns the probe.
     *
     * @return the probe
     */
    public HealthProbe probe() {
        return probe;
    }

    /**
     * Returns the delay between two checks of one endpoint.
     *
     * @return the interval
     */
    public Duration interval() {
        return interval;
    }

    /**
     * Returns the longest one check may take.
     *
     * @return the timeout
     */
    public Duration timeout() {
        return timeout;
    }

    /**
     * Returns the successes in a row that bring a down endpoint back.
     *
     * @return rise, at least 1
     */
    public int rise() {
        return rise;
    }

    /**
     * Returns the failures in a row that mark an endpoint down.
     *
     * @return fall, at least 1
     */
    public int fall() {
        return fall;
    }

    @Override
    public String toString() {
        return "HealthCheck[interval=" + interval + ", timeout=" + timeout + ", rise=" + rise + ", fall=" + fall + "]";
    }

    /** Builds a {@link HealthCheck}; validated at {@link #build()}. */
    public static final class Builder {
        private final HealthProbe probe;
        private Duration interval = Duration.ofSeconds(2);
        private Duration timeout = Duration.ofSeconds(1);
        private int rise = 2;
        private int fall = 3;

        private Builder(HealthProbe probe) {
            this.probe = Objects.requireNonNull(probe, "probe");
        }

        /**
         * Sets the delay between two checks of one endpoint.
         *
         * @param value &gt; 0
         * @return this builder
         */
        public Builder interval(Duration value) {
            this.interval = Objects.requireNonNull(value, "interval");
            return this;
        }

        /**
         * Sets the longest one check may take.
         *
         * @param value &gt; 0
         * @return this builder
         */
        public Builder timeout(Duration value) {
            this.timeout = Objects.requireNonNull(value, "timeout");
            return this;
        }

        /**
         * Sets the successes in a row that bring a down endpoint back.
         *
         * @param value &gt;= 1
         * @return this builder
         */
        public Builder rise(int value) {
            this.rise = value;
            return this;
        }

        /**
         * Sets the failures in a row that mark an endpoint down.
         *
         * @param value &gt;= 1
         * @return this builder
         */
        public Builder fall(int value) {
            this.fall = value;
            return this;
        }

        /**
         * Validates and builds the settings.
         *
         * @return the settings
         * @throws IllegalArgumentException naming the setting and the value when one is out of range
         */
        public HealthCheck build() {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("interval must be > 0 but was " + interval);
            }
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be > 0 but was " + timeout);
            }
            if (rise < 1) {
                throw new IllegalArgumentException("rise must be >= 1 but was " + rise);
            }
            if (fall < 1) {
                throw new IllegalArgumentException("fall must be >= 1 but was " + fall);
            }
            return new HealthCheck(this);
        }
    }
}
