package io.infrablocks.lb.internal;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Session persistence: key → member bindings with a TTL refreshed on use, bounded to {@code maxEntries}
 * by evicting the oldest bindings (insertion order) first. A lookup is one {@link ConcurrentHashMap#get}
 * (no lock, no allocation); creating a binding allocates it and a queue node. An expired binding is
 * replaced on its next lookup or evicted by age.
 */
final class StickyTable {

    /** One binding; fields are volatile, rebinding races resolve to the last writer. */
    static final class Binding {
        volatile Member member;
        volatile long expiresAt;

        Binding(Member member, long expiresAt) {
            this.member = member;
            this.expiresAt = expiresAt;
        }
    }

    private final ConcurrentHashMap<String, Binding> map = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> order = new ConcurrentLinkedQueue<>();
    private final int maxEntries;
    final long ttlNanos;

    StickyTable(int maxEntries, long ttlNanos) {
        this.maxEntries = maxEntries;
        this.ttlNanos = ttlNanos;
    }

    Binding get(String key) {
        return map.get(key);
    }

    void put(String key, Member member, long expiresAt) {
        if (map.put(key, new Binding(member, expiresAt)) == null) {
            order.add(key);
            while (map.size() > maxEntries) {
                String oldest = order.poll();
                if (oldest == null) {
                    break;
                }
                map.remove(oldest);
            }
        }
    }

    int size() {
        return map.size();
    }
}
