package io.infrablocks.cache.internal;

/**
 * The part of a resident cache entry that belongs to its {@link EvictionPolicy}. The cache's own entry class
 * extends it, so a policy links entries intrusively (no extra allocation or map lookup per entry).
 *
 * <p>Every field here is read and written only by the thread holding the cache's eviction lock.
 */
public abstract class PolicyNode {

    /** Policy-owned link to the previous node of the queue the node is in, or null. */
    public PolicyNode prev;

    /** Policy-owned link to the next node of the queue the node is in, or null. */
    public PolicyNode next;

    /** Policy-owned tag: which queue or region the node is in (meaning defined by the policy). */
    public byte queue;

    /** Creates a node. */
    protected PolicyNode() {}

    /**
     * The weight the policy accounts for this node. Nodes of a cache bounded by entry count weigh 1 and store no
     * weight (8 bytes less per entry); nodes that can weigh anything else override this and
     * {@link #setPolicyWeight}.
     *
     * @return the weight, not negative
     */
    public long policyWeight() {
        return 1;
    }

    /**
     * Sets the weight the policy accounts for this node; called by the cache (under its eviction lock) before it
     * reports the node to the policy.
     *
     * @param weight the weight
     * @throws UnsupportedOperationException if the node has the fixed weight 1 and {@code weight} is not 1
     */
    public void setPolicyWeight(long weight) {
        if (weight != 1) {
            throw new UnsupportedOperationException("this node has the fixed weight 1, not " + weight);
        }
    }

    /**
     * The entry's key.
     *
     * @return the key, never null
     */
    public abstract Object key();

    /**
     * A well-spread hash of the key, stable for the entry's life (used by frequency sketches).
     *
     * @return the hash
     */
    public abstract int keyHash();
}
