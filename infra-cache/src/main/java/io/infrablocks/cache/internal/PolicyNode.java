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

    /** The weight the policy accounted for this node (1 when the cache is bounded by size). */
    public long policyWeight;

    /** Creates a node. */
    protected PolicyNode() {}

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
