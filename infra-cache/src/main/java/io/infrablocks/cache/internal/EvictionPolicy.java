package io.infrablocks.cache.internal;

import java.util.List;

/**
 * Decides which resident entry leaves when a cache is over its bound.
 *
 * <p>Contract with the cache: every method is called only by the thread holding the cache's eviction lock,
 * so implementations need no synchronization. The cache reports each event once, in the order it applies
 * them: {@link #onAdd} when an entry becomes resident, {@link #onAccess} for each read hit it replays from its
 * buffers, {@link #onUpdate} when a value is replaced (weight may change), {@link #onRemove} when an entry
 * leaves for any reason other than {@link #evict}. While its total weight exceeds the maximum, the cache calls
 * {@link #evict()} and removes the returned entry from its map; the policy has already unlinked it.
 */
public interface EvictionPolicy {

    /**
     * A resident entry was read.
     *
     * @param node the entry
     */
    void onAccess(PolicyNode node);

    /**
     * An entry became resident; its {@link PolicyNode#policyWeight()} is set.
     *
     * @param node the entry
     */
    void onAdd(PolicyNode node);

    /**
     * A resident entry's value was replaced; its {@link PolicyNode#policyWeight()} holds the new weight.
     *
     * @param node the entry
     * @param oldWeight the weight before the update
     */
    void onUpdate(PolicyNode node, long oldWeight);

    /**
     * A resident entry left (explicit removal, expiry); unlink it.
     *
     * @param node the entry
     */
    void onRemove(PolicyNode node);

    /**
     * Chooses the next entry to evict and unlinks it.
     *
     * @return the victim, or null when the policy holds no entry
     */
    PolicyNode evict();

    /**
     * The total weight of the entries the policy holds.
     *
     * @return the weight
     */
    long weightedSize();

    /**
     * The bound the policy works to.
     *
     * @return the maximum total weight
     */
    long maximum();

    /**
     * Changes the bound; the cache then evicts while {@code weightedSize() > maximum()}.
     *
     * @param maximum the new maximum total weight, positive
     */
    void setMaximum(long maximum);

    /**
     * The entries most likely to be kept, best first (for warm start: save them at shutdown).
     *
     * @param limit the most to return
     * @return up to {@code limit} entries
     */
    List<PolicyNode> hottest(int limit);

    /**
     * The entries most likely to be evicted next, first victim first.
     *
     * @param limit the most to return
     * @return up to {@code limit} entries
     */
    List<PolicyNode> coldest(int limit);
}
