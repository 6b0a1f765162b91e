package io.infrablocks.cache.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * The W-TinyLFU layout over intrusive nodes, with a window size set from outside: the engine of
 * {@link AdaptivePolicy}, used both for the real entries and for the policy's sampled ghost simulations.
 *
 * <p>Three LRU queues: the <em>window</em> (every new entry starts there; recency), and the main space split as a
 * segmented LRU into <em>probation</em> and <em>protected</em> (80% of the main space; an entry hit in probation
 * is promoted, the protected overflow is demoted back to probation). When the window is over its target, its
 * least recent entry (the candidate) enters the main space if it fits; otherwise it duels with the main space's
 * victim (the least recent probation entry) and the TinyLFU admission filter keeps the one the frequency sketch
 * says was seen more often (ties keep the victim: scan and loop resistance). Source: G. Einziger, R. Friedman,
 * B. Manes, "TinyLFU: A Highly Efficient Cache Admission Policy", ACM TOS 2017 (W-TinyLFU) and Caffeine's
 * description of it; the segmented LRU is R. Karedla, J. S. Love, B. G. Wherry, IEEE Computer 1994.
 *
 * <p>Growing the window is lazy (the main space then evicts without a duel until new entries have filled the
 * window); shrinking it is lazy too (window entries duel their way out on the next evictions). Weights: each
 * queue's total weight is tracked exactly; a candidate heavier than the whole maximum is evicted at once.
 *
 * <p>Not thread-safe: used under the cache's eviction lock only. Every operation is O(1): after the window target
 * changed, one call moves at most {@value #TRANSFER_BUDGET} entries between queues and leaves the rest of the
 * excess to later calls (meanwhile victims come from the main space's least recent end, as usual).
 */
final class WindowTinyLfu {

    static final byte WINDOW = 1;
    static final byte PROBATION = 2;
    static final byte PROTECTED = 3;

    private static final double PROTECTED_SHARE = 0.8;

    /**
     * Most entries moved between queues by one call after the window target changed; the rest move on later
     * calls, so a big change (e.g. a jump to a 100% window) never stalls one caller for O(n).
     */
    static final int TRANSFER_BUDGET = 256;

    /**
     * How many more counts than the victim a candidate needs beyond a strict majority: 1, so a candidate must lead
     * by at least 2. Between keys requested equally often (a loop), the one requested since the last halving leads
     * by exactly 1, and the candidate (just requested) always is that one; a lead of 1 is phase, not popularity.
     */
    static final int MARGIN = 1;

    /** The head sentinel of a circular doubly linked queue; {@code next} is the least recent entry. */
    private static final class Sentinel extends PolicyNode {
        Sentinel() {
            prev = this;
            next = this;
        }

        @Override
        public Object key() {
            return this;
        }

        @Override
        public int keyHash() {
            return 0;
        }
    }

    private final Sentinel window = new Sentinel();
    private final Sentinel probation = new Sentinel();
    private final Sentinel protectedQueue = new Sentinel();
    private final FrequencySketch sketch;
    private final boolean hashFloodJitter;

    private long windowWeight;
    private long probationWeight;
    private long protectedWeight;
    private long count;
    private long maximum;
    private double windowFraction;
    private double windowMaximum;
    private double protectedMaximum;
    private long random = 0x9E37_79B9_7F4A_7C15L;

    /**
     * @param maximum the bound on the total weight
     * @param windowFraction the initial window share of the maximum, 0 to 1
     * @param sketch the frequency sketch consulted by admission (fed by the owner)
     * @param hashFloodJitter whether a warm candidate may rarely beat a much hotter-looking victim
     */
    WindowTinyLfu(long maximum, double windowFraction, FrequencySketch sketch, boolean hashFloodJitter) {
        this.sketch = sketch;
        this.hashFloodJitter = hashFloodJitter;
        this.maximum = maximum;
        setWindowFraction(windowFraction);
    }

    long maximum() {
        return maximum;
    }

    /** Changes the maximum, keeping the window's share of it. */
    void setMaximum(long maximum) {
        this.maximum = maximum;
        setWindowFraction(windowFraction);
    }

    /** Sets the window target to a share of the maximum, at least one unit of weight while the maximum allows. */
    void setWindowFraction(double fraction) {
        windowFraction = fraction;
        windowMaximum = Math.min(maximum, Math.max(1.0, fraction * maximum));
        protectedMaximum = PROTECTED_SHARE * (maximum - windowMaximum);
    }

    long weightedSize() {
        return windowWeight + probationWeight + protectedWeight;
    }

    long count() {
        return count;
    }

    long windowWeight() {
        return windowWeight;
    }

    long probationWeight() {
        return probationWeight;
    }

    long protectedWeight() {
        return protectedWeight;
    }

    void onAdd(PolicyNode node) {
        count++;
        node.queue = WINDOW;
        linkLast(window, node);
        windowWeight += node.policyWeight();
    }

    void onAccess(PolicyNode node) {
        switch (node.queue) {
            case WINDOW -> moveToLast(window, node);
            case PROBATION -> {
                unlink(node);
                probationWeight -= node.policyWeight();
                node.queue = PROTECTED;
                linkLast(protectedQueue, node);
                protectedWeight += node.policyWeight();
                demoteProtectedOverflow();
            }
            case PROTECTED -> moveToLast(protectedQueue, node);
            default -> throw new IllegalStateException("node for key " + node.key() + " is not held by the policy");
        }
    }

    void onUpdate(PolicyNode node, long oldWeight) {
        long delta = node.policyWeight() - oldWeight;
        switch (node.queue) {
            case WINDOW -> windowWeight += delta;
            case PROBATION -> probationWeight += delta;
            case PROTECTED -> protectedWeight += delta;
            default -> throw new IllegalStateException("node for key " + node.key() + " is not held by the policy");
        }
        onAccess(node);
    }

    void onRemove(PolicyNode node) {
        if (node.queue == 0) {
            throw new IllegalStateException("node for key " + node.key() + " is not held by the policy");
        }
        detach(node);
    }

    /** Unlinks a node, subtracts its weight from its queue and marks it as held by no queue. */
    private void detach(PolicyNode node) {
        unlink(node);
        switch (node.queue) {
            case WINDOW -> windowWeight -= node.policyWeight();
            case PROBATION -> probationWeight -= node.policyWeight();
            default -> protectedWeight -= node.policyWeight();
        }
        node.queue = 0;
        count--;
    }

    PolicyNode evict() {
        int budget = TRANSFER_BUDGET;
        while (windowWeight > windowMaximum && window.next != window) {
            PolicyNode candidate = window.next;
            long mainWeight = probationWeight + protectedWeight;
            if (mainWeight + candidate.policyWeight() <= maximum - windowMaximum) {
                if (budget-- == 0) {
                    break;
                }
                // Room in the main space (filling up, or the window just shrank): no duel.
                unlink(candidate);
                windowWeight -= candidate.policyWeight();
                candidate.queue = PROBATION;
                linkLast(probation, candidate);
                probationWeight += candidate.policyWeight();
                continue;
            }
            PolicyNode victim = probation.next != probation
                    ? probation.next
                    : protectedQueue.next != protectedQueue ? protectedQueue.next : null;
            if (victim == null || candidate.policyWeight() > maximum || !admit(candidate, victim)) {
                detach(candidate);
                return candidate;
            }
            detach(victim);
            unlink(candidate);
            windowWeight -= candidate.policyWeight();
            candidate.queue = PROBATION;
            linkLast(probation, candidate);
            probationWeight += candidate.policyWeight();
            return victim;
        }
        demoteProtectedOverflow();
        PolicyNode victim = probation.next != probation
                ? probation.next
                : protectedQueue.next != protectedQueue
                        ? protectedQueue.next
                        : window.next != window ? window.next : null;
        if (victim != null) {
            detach(victim);
        }
        return victim;
    }

    /**
     * TinyLFU admission: the candidate enters only if it was seen more often than the victim. Ties keep the
     * victim, so a scan or a loop larger than the cache cannot flush the main space. With jitter on, a warm
     * candidate facing a victim that looks at least twice as hot gets in with probability 1/128: an attacker who
     * inflates a victim's counters through hash collisions cannot freeze admission, while honest near-ties
     * (loops) stay deterministic.
     */
    private boolean admit(PolicyNode candidate, PolicyNode victim) {
        int candidateFrequency = sketch.frequency(candidate.keyHash());
        int victimFrequency = sketch.frequency(victim.keyHash());
        if (candidateFrequency > victimFrequency + MARGIN) {
            return true;
        }
        if (hashFloodJitter && candidateFrequency >= 6 && victimFrequency >= 2 * candidateFrequency) {
            random ^= random << 13;
            random ^= random >>> 7;
            random ^= random << 17;
            return (random & 127) == 0;
        }
        return false;
    }

    private void demoteProtectedOverflow() {
        int budget = TRANSFER_BUDGET;
        while (protectedWeight > protectedMaximum && protectedQueue.next != protectedQueue && budget-- > 0) {
            PolicyNode node = protectedQueue.next;
            unlink(node);
            protectedWeight -= node.policyWeight();
            node.queue = PROBATION;
            linkLast(probation, node);
            probationWeight += node.policyWeight();
        }
    }

    /** The total weight of the entries whose key hash passes a test: O(entries), for rare resampling only. */
    long weightWhere(java.util.function.IntPredicate hashTest) {
        long total = 0;
        for (Sentinel queue : new Sentinel[] {window, probation, protectedQueue}) {
            for (PolicyNode n = queue.next; n != queue; n = n.next) {
                if (hashTest.test(n.keyHash())) {
                    total += n.policyWeight();
                }
            }
        }
        return total;
    }

    /** Coldest first: probation, then window, then protected, each least recent first. */
    List<PolicyNode> coldest(int limit) {
        List<PolicyNode> out = new ArrayList<>(Math.min(limit, (int) Math.min(count, 1 << 16)));
        for (Sentinel queue : new Sentinel[] {probation, window, protectedQueue}) {
            for (PolicyNode n = queue.next; n != queue && out.size() < limit; n = n.next) {
                out.add(n);
            }
        }
        return out;
    }

    /** Hottest first: the exact reverse of {@link #coldest}. */
    List<PolicyNode> hottest(int limit) {
        List<PolicyNode> out = new ArrayList<>(Math.min(limit, (int) Math.min(count, 1 << 16)));
        for (Sentinel queue : new Sentinel[] {protectedQueue, window, probation}) {
            for (PolicyNode n = queue.prev; n != queue && out.size() < limit; n = n.prev) {
                out.add(n);
            }
        }
        return out;
    }

    private static void unlink(PolicyNode node) {
        node.prev.next = node.next;
        node.next.prev = node.prev;
        node.prev = null;
        node.next = null;
    }

    private static void linkLast(PolicyNode sentinel, PolicyNode node) {
        PolicyNode last = sentinel.prev;
        node.prev = last;
        node.next = sentinel;
        last.next = node;
        sentinel.prev = node;
    }

    private static void moveToLast(PolicyNode sentinel, PolicyNode node) {
        if (sentinel.prev != node) {
            unlink(node);
            linkLast(sentinel, node);
        }
    }
}
