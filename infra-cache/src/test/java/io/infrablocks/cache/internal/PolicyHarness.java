package io.infrablocks.cache.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Drives an {@link EvictionPolicy} directly, the way the cache does single-threaded: get; on a miss, put. */
final class PolicyHarness {

    /** A resident test entry. */
    static final class TestNode extends PolicyNode {
        final Object key;
        private long weight;

        TestNode(Object key, long weight) {
            this.key = key;
            this.weight = weight;
        }

        @Override
        public long policyWeight() {
            return weight;
        }

        @Override
        public void setPolicyWeight(long weight) {
            this.weight = weight;
        }

        @Override
        public Object key() {
            return key;
        }

        @Override
        public int keyHash() {
            int h = key.hashCode() * 0x9E3779B9;
            return h ^ (h >>> 16);
        }

        @Override
        public String toString() {
            return String.valueOf(key);
        }
    }

    final EvictionPolicy policy;
    final Map<Object, TestNode> resident = new HashMap<>();
    final List<Object> evicted = new ArrayList<>();
    long hits;
    long requests;

    PolicyHarness(EvictionPolicy policy) {
        this.policy = policy;
    }

    /** One request of weight 1; true on a hit. */
    boolean request(Object key) {
        return request(key, 1);
    }

    /** One request; on a miss the key is added with the given weight and the policy evicts while over. */
    boolean request(Object key, long weight) {
        requests++;
        TestNode node = resident.get(key);
        if (node != null) {
            hits++;
            policy.onAccess(node);
            return true;
        }
        node = new TestNode(key, weight);
        resident.put(key, node);
        policy.onAdd(node);
        evictWhileOver();
        return false;
    }

    void evictWhileOver() {
        while (policy.weightedSize() > policy.maximum()) {
            PolicyNode victim = policy.evict();
            if (victim == null) {
                throw new AssertionError("over the maximum but nothing to evict");
            }
            if (resident.remove(victim.key()) != victim) {
                throw new AssertionError("evicted a node that is not resident: " + victim.key());
            }
            evicted.add(victim.key());
        }
    }

    List<Object> keys(List<PolicyNode> nodes) {
        List<Object> keys = new ArrayList<>();
        for (PolicyNode node : nodes) {
            keys.add(node.key());
        }
        return keys;
    }
}
