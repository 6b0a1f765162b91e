package io.infrablocks.cache.internal;

/**
 * A cache entry: the key, its current value, and the cache's bookkeeping; the policy's links are inherited
 * from {@link PolicyNode}.
 *
 * <p>Life cycle ({@link #state}): {@code ALIVE} while mapped in the table; {@code RETIRED} once removed from
 * the table (set under the node's monitor, inside the table's per-key compute, so a value update racing with
 * the removal sees it); {@code DEAD} once the maintenance thread has unlinked it from the policy (set under
 * the eviction lock). {@link #linked} (eviction lock) says whether the policy holds the node.
 *
 * <p>Value updates happen under the node's monitor, never holding it across a blocking call; reads of
 * {@link #value} take no lock.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
abstract class Node<K, V> extends PolicyNode {

    static final byte ALIVE = 0;
    static final byte RETIRED = 1;
    static final byte DEAD = 2;

    final K key;
    volatile V value;

    /** Life-cycle state; guarded by this node's monitor (ALIVE to RETIRED) and the eviction lock (DEAD). */
    byte state;

    /** Whether the policy holds this node; guarded by the eviction lock. */
    boolean linked;

    Node(K key, V value) {
        this.key = key;
        this.value = value;
    }

    @Override
    public final Object key() {
        return key;
    }

    @Override
    public final int keyHash() {
        int h = key.hashCode() * 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    /** The weight of the current value (1 when the cache is bounded by count); written under the monitor. */
    int weight() {
        return 1;
    }

    void setWeight(int weight) {}

    /** When the value was written (nanoseconds, ticker time); 0 when the cache does not expire entries. */
    long writeTime() {
        return 0;
    }

    void setWriteTime(long nanos) {}

    /** When the entry was last read or written; 0 when the cache does not expire entries. */
    long accessTime() {
        return 0;
    }

    void setAccessTime(long nanos) {}

    /** The smallest node: count-bounded, no expiry; weighs 1 and stores no weight. */
    static final class Sized<K, V> extends Node<K, V> {
        Sized(K key, V value) {
            super(key, value);
        }
    }

    /** A weight-bounded node without expiry. */
    static final class Weighted<K, V> extends Node<K, V> {
        private int weight;

        /** The weight the policy accounted; guarded by the eviction lock. */
        private long policyWeight;

        Weighted(K key, V value, int weight) {
            super(key, value);
            this.weight = weight;
        }

        @Override
        int weight() {
            return weight;
        }

        @Override
        void setWeight(int weight) {
            this.weight = weight;
        }

        @Override
        public long policyWeight() {
            return policyWeight;
        }

        @Override
        public void setPolicyWeight(long weight) {
            this.policyWeight = weight;
        }
    }

    /** A node of a cache with expiry: times, weight, and links for the write- and access-order deques. */
    static final class Timed<K, V> extends Node<K, V> {
        private volatile int weight;
        private volatile long writeTime;
        private volatile long accessTime;

        /** The weight the policy accounted; guarded by the eviction lock. */
        private long policyWeight;

        /** Write-order deque links; guarded by the eviction lock. */
        Timed<K, V> writePrev;

        Timed<K, V> writeNext;

        /** Access-order deque links; guarded by the eviction lock. */
        Timed<K, V> accessPrev;

        Timed<K, V> accessNext;

        Timed(K key, V value, int weight, long now) {
            super(key, value);
            this.weight = weight;
            this.writeTime = now;
            this.accessTime = now;
        }

        @Override
        int weight() {
            return weight;
        }

        @Override
        void setWeight(int weight) {
            this.weight = weight;
        }

        @Override
        long writeTime() {
            return writeTime;
        }

        @Override
        void setWriteTime(long nanos) {
            this.writeTime = nanos;
        }

        @Override
        long accessTime() {
            return accessTime;
        }

        @Override
        void setAccessTime(long nanos) {
            this.accessTime = nanos;
        }

        @Override
        public long policyWeight() {
            return policyWeight;
        }

        @Override
        public void setPolicyWeight(long weight) {
            this.policyWeight = weight;
        }
    }
}
