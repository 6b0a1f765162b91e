package io.infrablocks.cache.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * Exact least-recently-used eviction.
 *
 * <p>Algorithm: one intrusive doubly linked list through {@link PolicyNode#prev}/{@link PolicyNode#next},
 * least recently used at the head, most recently used at the tail. An add, an access or an update moves the
 * entry to the tail; {@link #evict()} takes the head. Given the same sequence of events it makes exactly the
 * decisions of an access-ordered {@link java.util.LinkedHashMap} that removes its eldest entry when full
 * (the classic LRU stack algorithm, Mattson et al., IBM Systems Journal 1970).
 *
 * <p>Concurrency: none of its own; the cache calls it only while holding its eviction lock.
 *
 * <p>Complexity: every event and {@link #evict()} are O(1); {@link #hottest}/{@link #coldest} O(limit).
 */
public final class LruPolicy implements EvictionPolicy {

    private PolicyNode head;
    private PolicyNode tail;
    private long weightedSize;
    private long maximum;

    /**
     * Creates an empty policy.
     *
     * @param maximum the bound on total weight, positive
     */
    public LruPolicy(long maximum) {
        setMaximum(maximum);
    }

    @Override
    public void onAccess(PolicyNode node) {
        moveToTail(node);
    }

    @Override
    public void onAdd(PolicyNode node) {
        linkLast(node);
        weightedSize += node.policyWeight();
    }

    @Override
    public void onUpdate(PolicyNode node, long oldWeight) {
        weightedSize += node.policyWeight() - oldWeight;
        moveToTail(node);
    }

    @Override
    public void onRemove(PolicyNode node) {
        unlink(node);
        weightedSize -= node.policyWeight();
    }

    @Override
    public PolicyNode evict() {
        PolicyNode victim = head;
        if (victim != null) {
            unlink(victim);
            weightedSize -= victim.policyWeight();
        }
        return victim;
    }

    @Override
    public long weightedSize() {
        return weightedSize;
    }

    @Override
    public long maximum() {
        return maximum;
    }

    @Override
    public void setMaximum(long maximum) {
        if (maximum <= 0) {
            throw new IllegalArgumentException("maximum must be > 0 but was " + maximum);
        }
        this.maximum = maximum;
    }

    @Override
    public List<PolicyNode> hottest(int limit) {
        List<PolicyNode> result = new ArrayList<>(Math.min(Math.max(limit, 0), 1024));
        for (PolicyNode n = tail; n != null && result.size() < limit; n = n.prev) {
            result.add(n);
        }
        return result;
    }

    @Override
    public List<PolicyNode> coldest(int limit) {
        List<PolicyNode> result = new ArrayList<>(Math.min(Math.max(limit, 0), 1024));
        for (PolicyNode n = head; n != null && result.size() < limit; n = n.next) {
            result.add(n);
        }
        return result;
    }

    private void moveToTail(PolicyNode node) {
        if (node != tail) {
            unlink(node);
            linkLast(node);
        }
    }

    private void linkLast(PolicyNode node) {
        node.next = null;
        node.prev = tail;
        if (tail == null) {
            head = node;
        } else {
            tail.next = node;
        }
        tail = node;
    }

    private void unlink(PolicyNode node) {
        PolicyNode p = node.prev;
        PolicyNode n = node.next;
        if (p == null) {
            head = n;
        } else {
            p.next = n;
        }
        if (n == null) {
            tail = p;
        } else {
            n.prev = p;
        }
        node.prev = null;
        node.next = null;
    }
}
