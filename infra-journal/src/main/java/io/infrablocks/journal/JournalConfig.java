package io.infrablocks.journal;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;

/**
 * The immutable configuration of a {@link Journal}, made by {@link #builder()} and validated by
 * {@link Builder#build()}.
 */
public final class JournalConfig {

    private final String name;
    private final Durability durability;
    private final long segmentSize;
    private final int maxRecordSize;
    private final Duration groupCommitMaxWait;
    private final int groupCommitMaxBytes;
    private final RecoveryMode recoveryMode;
    private final boolean preallocate;
    private final ThreadFactory threadFactory;
    private final JournalListener listener;

    private JournalConfig(Builder b) {
        this.name = b.name;
        this.durability = b.durability;
        this.segmentSize = b.segmentSize;
        this.maxRecordSize = b.maxRecordSize;
        this.groupCommitMaxWait = b.groupCommitMaxWait;
        this.groupCommitMaxBytes = b.groupCommitMaxBytes;
        this.recoveryMode = b.recoveryMode;
        this.preallocate = b.preallocate;
        this.threadFactory = b.threadFactory;
        this.listener = b.listener;
    }

    /**
     * A builder with the defaults: SYNC durability, 64 MiB segments, 16 MiB maximum record, group commit
     * waiting at most 1 ms or 256 KiB, {@link RecoveryMode#TOLERATE_CORRUPTED_TAIL}, preallocation on (measured
     * faster for forced commits: see the module README).
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The journal's name, used in thread names and log messages.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * When commits are durable.
     *
     * @return the policy
     */
    public Durability durability() {
        return durability;
    }

    /**
     * The size at which a segment file is rolled.
     *
     * @return bytes
     */
    public long segmentSize() {
        return segmentSize;
    }

    /**
     * The largest record accepted.
     *
     * @return bytes
     */
    public int maxRecordSize() {
        return maxRecordSize;
    }

    /**
     * How long the {@link Durability#sync() SYNC} group-commit writer may wait for more committers before
     * forcing. The writer waits only while its batch is smaller than the previous batch (the concurrency it has
     * just seen) and below {@link #groupCommitMaxBytes()}, so a lone committer never waits; committers that
     * arrive during a force join the next batch regardless.
     *
     * @return the wait, zero to force as soon as the writer is free
     */
    public Duration groupCommitMaxWait() {
        return groupCommitMaxWait;
    }

    /**
     * The batch size in bytes at which the group-commit writer stops collecting committers and writes and
     * forces the batch.
     *
     * @return bytes
     */
    public int groupCommitMaxBytes() {
        return groupCommitMaxBytes;
    }

    /**
     * What recovery accepts.
     *
     * @return the mode
     */
    public RecoveryMode recoveryMode() {
        return recoveryMode;
    }

    /**
     * Whether segments are preallocated: zero-filled ahead of the writer in steps of 1 MiB (or the segment size,
     * if smaller), so that most forces (fdatasync) need not update the file's size.
     *
     * @return true when preallocated
     */
    public boolean preallocate() {
        return preallocate;
    }

    /**
     * The factory of the journal's threads.
     *
     * @return the factory, or null for the default ({@code infra-journal-<name>-<n>}, daemon)
     */
    public ThreadFactory threadFactory() {
        return threadFactory;
    }

    /**
     * The listener of journal events.
     *
     * @return the listener, or null when none is set
     */
    public JournalListener listener() {
        return listener;
    }

    @Override
    public String toString() {
        return "JournalConfig[name=" + name + ", durability=" + durability + ", segmentSize=" + segmentSize
                + ", maxRecordSize=" + maxRecordSize + ", groupCommitMaxWait=" + groupCommitMaxWait
                + ", groupCommitMaxBytes=" + groupCommitMaxBytes + ", recoveryMode=" + recoveryMode
                + ", preallocate=" + preallocate + "]";
    }

    /** Builds a {@link JournalConfig}. Not thread-safe. */
    public static final class Builder {
        private String name = "journal";
        private Durability durability = Durability.sync();
        private long segmentSize = 64L << 20;
        private int maxRecordSize = 16 << 20;
        private Duration groupCommitMaxWait = Duration.ofMillis(1);
        private int groupCommitMaxBytes = 256 << 10;
        private RecoveryMode recoveryMode = RecoveryMode.TOLERATE_CORRUPTED_TAIL;
        private boolean preallocate = true;
        private ThreadFactory threadFactory;
        private JournalListener listener;

        private Builder() {}

        /**
         * Sets the name used in thread names and log messages.
         *
         * @param name non-blank
         * @return this builder
         */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Sets the durability policy.
         *
         * @param durability the policy
         * @return this builder
         */
        public Builder durability(Durability durability) {
            this.durability = Objects.requireNonNull(durability, "durability");
            return this;
        }

        /**
         * Sets the segment roll size.
         *
         * @param bytes at least 4096
         * @return this builder
         */
        public Builder segmentSize(long bytes) {
            this.segmentSize = bytes;
            return this;
        }

        /**
         * Sets the largest record accepted.
         *
         * @param bytes at least 1
         * @return this builder
         */
        public Builder maxRecordSize(int bytes) {
            this.maxRecordSize = bytes;
            return this;
        }

        /**
         * Sets how long the group-commit writer waits for more committers.
         *
         * @param wait zero or positive
         * @return this builder
         */
        public Builder groupCommitMaxWait(Duration wait) {
            this.groupCommitMaxWait = Objects.requireNonNull(wait, "wait");
            return this;
        }

        /**
         * Sets the buffered bytes at which the group-commit writer forces at once.
         *
         * @param bytes at least 1
         * @return this builder
         */
        public Builder groupCommitMaxBytes(int bytes) {
            this.groupCommitMaxBytes = bytes;
            return this;
        }

        /**
         * Sets what recovery accepts.
         *
         * @param mode the mode
         * @return this builder
         */
        public Builder recoveryMode(RecoveryMode mode) {
            this.recoveryMode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * Sets whether segments are preallocated (zero-filled ahead of the writer in 1 MiB steps); default true.
         *
         * @param preallocate true to zero-fill ahead, false to let segment files grow with each write
         * @return this builder
         */
        public Builder preallocate(boolean preallocate) {
            this.preallocate = preallocate;
            return this;
        }

        /**
         * Sets the factory of the journal's threads.
         *
         * @param threadFactory the factory
         * @return this builder
         */
        public Builder threadFactory(ThreadFactory threadFactory) {
            this.threadFactory = Objects.requireNonNull(threadFactory, "threadFactory");
            return this;
        }

        /**
         * Sets a listener of journal events (group commits, recovery cuts, checkpoints).
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder listener(JournalListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Validates the settings and builds the configuration.
         *
         * @return the configuration
         * @throws IllegalArgumentException naming the first setting out of range and its value
         */
        public JournalConfig build() {
            if (name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank");
            }
            if (segmentSize < 4096) {
                throw new IllegalArgumentException("segmentSize must be >= 4096 but was " + segmentSize);
            }
            if (maxRecordSize < 1) {
                throw new IllegalArgumentException("maxRecordSize must be > 0 but was " + maxRecordSize);
            }
            if (groupCommitMaxWait.isNegative()) {
                throw new IllegalArgumentException("groupCommitMaxWait must be >= 0 but was " + groupCommitMaxWait);
            }
            if (groupCommitMaxBytes < 1) {
                throw new IllegalArgumentException("groupCommitMaxBytes must be > 0 but was " + groupCommitMaxBytes);
            }
            return new JournalConfig(this);
        }
    }
}
