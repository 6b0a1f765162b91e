package io.infrablocks.journal;

import java.time.Duration;
import java.util.Objects;

/**
 * When a commit counts as durable.
 *
 * <ul>
 *   <li>{@link #sync()}: {@code commit()} returns after the data is forced to the device; concurrent
 *       committers share one force (group commit). Survives power loss.
 *   <li>{@link #periodic(Duration)}: data is forced at least every interval; a power loss can lose the commits
 *       of the last interval, a process crash loses nothing written to the OS.
 *   <li>{@link #none()}: never forced by the journal; survives a process crash (the OS page cache has it),
 *       not a power loss.
 * </ul>
 */
public final class Durability {

    /** The kind of policy. */
    public enum Kind {
        /** Force before commit returns. */
        SYNC,
        /** Force on a timer. */
        PERIODIC,
        /** Never force. */
        NONE
    }

    private static final Durability SYNC = new Durability(Kind.SYNC, Duration.ZERO);
    private static final Durability NONE = new Durability(Kind.NONE, Duration.ZERO);

    private final Kind kind;
    private final Duration interval;

    private Durability(Kind kind, Duration interval) {
        this.kind = kind;
        this.interval = interval;
    }

    /**
     * Force before commit returns, with group commit.
     *
     * @return the policy
     */
    public static Durability sync() {
        return SYNC;
    }

    /**
     * Force at least every {@code interval}.
     *
     * @param interval the bound on the loss window, positive
     * @return the policy
     */
    public static Durability periodic(Duration interval) {
        Objects.requireNonNull(interval, "interval");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be > 0 but was " + interval);
        }
        return new Durability(Kind.PERIODIC, interval);
    }

    /**
     * Never force: process crashes lose nothing, power loss may.
     *
     * @return the policy
     */
    public static Durability none() {
        return NONE;
    }

    /**
     * The kind of policy.
     *
     * @return the kind
     */
    public Kind kind() {
        return kind;
    }

    /**
     * The force interval of a {@link Kind#PERIODIC} policy.
     *
     * @return the interval, zero for the other kinds
     */
    public Duration interval() {
        return interval;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Durability d && d.kind == kind && d.interval.equals(interval);
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + interval.hashCode();
    }

    @Override
    public String toString() {
        return kind == Kind.PERIODIC ? "PERIODIC(" + interval + ")" : kind.name();
    }
}
