package io.infrablocks.cache.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.infrablocks.cache.internal.PolicyHarness.TestNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdaptivePolicyTest {

    @Test
    void fillsWithoutEvictingThenAdmitsTheMoreFrequentCandidate() {
        PolicyHarness h = new PolicyHarness(new AdaptivePolicy(4));
        for (String k : List.of("k1", "k2", "k3", "k4")) {
            h.request(k);
        }
        assertEquals(List.of(), h.evicted);
        assertEquals(4, h.policy.weightedSize());
        assertEquals(List.of("k1", "k2", "k3", "k4"), h.keys(h.policy.coldest(10)));

        h.request("k1"); // k1 seen twice, then three times: the most recent window entry
        h.request("k1");
        h.request("k5"); // over: k2, k3, k4 fill the main space, k1 (freq 3) beats victim k2 (freq 1) by 2
        assertEquals(List.of("k2"), h.evicted);
        assertEquals(List.of("k3", "k4", "k1", "k5"), h.keys(h.policy.coldest(10)));
        assertEquals(List.of("k5", "k1", "k4", "k3"), h.keys(h.policy.hottest(10)));

        h.request("k4"); // probation hit: promoted to protected, the hottest region
        assertEquals(List.of("k3", "k1", "k5", "k4"), h.keys(h.policy.coldest(10)));
        assertEquals(List.of("k4", "k5", "k1", "k3"), h.keys(h.policy.hottest(10)));
        assertEquals(List.of("k4", "k5"), h.keys(h.policy.hottest(2)));
        assertEquals(List.of("k3"), h.keys(h.policy.coldest(1)));
        assertEquals(List.of(), h.keys(h.policy.coldest(0)));
    }

    @Test
    void rejectsACandidateNoMoreFrequentThanTheVictim() {
        PolicyHarness h = new PolicyHarness(new AdaptivePolicy(4));
        for (String k : List.of("a", "b", "c", "d")) {
            h.request(k);
            h.request(k);
        }
        h.request("e"); // window a..d moves to main up to its 3.96 capacity; then candidate d ties victim a
        h.request("x"); // candidate e (freq 1) loses to the victim
        assertEquals(List.of("d", "e"), h.evicted);
        assertEquals(4, h.resident.size());
        assertTrue(h.resident.keySet().containsAll(List.of("a", "b", "c", "x")));
    }

    @Test
    void aScanDoesNotFlushFrequentlyUsedEntries() {
        PolicyHarness h = new PolicyHarness(new AdaptivePolicy(100));
        // The sketch keeps history from the time the cache is ~2/3 full (it grows, forgetting, before that).
        for (int k = 0; k < 70; k++) {
            h.request("fill" + k);
        }
        for (int round = 0; round < 5; round++) {
            for (int k = 0; k < 50; k++) {
                h.request("hot" + k);
            }
        }
        // A one-pass scan ten times the cache size (an LRU would keep none of the hot keys).
        for (int k = 0; k < 1_000; k++) {
            h.request("scan" + k);
        }
        long hotResident = h.resident.keySet().stream()
                .filter(k -> ((String) k).startsWith("hot"))
                .count();
        assertEquals(50, hotResident);
        assertEquals(100, h.policy.weightedSize());
        for (int k = 0; k < 50; k++) {
            assertTrue(h.request("hot" + k), "hot" + k);
        }
    }

    @Test
    void aLoopLargerThanTheCacheKeepsHittingNearTheOptimum() {
        // A cyclic scan of 150 keys through 100 slots: LRU hits nothing; the optimum keeps ~99 per cycle.
        PolicyHarness h = new PolicyHarness(new AdaptivePolicy(100));
        for (int round = 0; round < 200; round++) {
            for (int k = 0; k < 150; k++) {
                h.request(k);
            }
        }
        double ratio = (double) h.hits / h.requests;
        assertTrue(ratio > 0.55, "loop hit ratio " + ratio);
        AdaptivePolicy policy = (AdaptivePolicy) h.policy;
        assertTrue(policy.windowFraction() <= 0.1, "window " + policy.windowFraction());
    }

    @Test
    void aLoopJustLargerThanABigCacheIsNotMistakenForRecency() {
        // 5,000 keys in a cycle through 4,900 entries: the ghosts are sampled (1 key in 8), and a sample of the
        // loop can fit in a ghost; the policy must still keep a stable main space (an LRU would hit nothing).
        PolicyHarness h = new PolicyHarness(new AdaptivePolicy(4_900));
        for (int round = 0; round < 60; round++) {
            for (int k = 0; k < 5_000; k++) {
                h.request(k);
            }
        }
        double ratio = (double) h.hits / h.requests;
        assertTrue(ratio > 0.9, "loop hit ratio " + ratio);
    }

    @Test
    void growsTheWindowOnARecencyWorkload() {
        // A working set that drifts: each key is requested in a burst of 4, then never again. Frequency says
        // nothing a newcomer can prove, recency everything: the window should take most of the space.
        PolicyHarness h = new PolicyHarness(new AdaptivePolicy(200));
        long seed = 42;
        int next = 0;
        int[] live = new int[150];
        for (int i = 0; i < live.length; i++) {
            live[i] = next++;
        }
        for (int i = 0; i < 200_000; i++) {
            seed = seed * 6364136223846793005L + 1442695040888963407L;
            int slot = (int) ((seed >>> 33) % live.length);
            h.request(live[slot]);
            if (((seed >>> 20) & 3) == 0) {
                live[slot] = next++;
            }
        }
        AdaptivePolicy policy = (AdaptivePolicy) h.policy;
        assertTrue(policy.windowFraction() >= 0.5, "window " + policy.windowFraction());
    }

    @Test
    void followsLruWhenRecencyIsAllThatMatters() {
        // A hot spot that slides forward: key base + Exp(mean 60), base advancing every 20 requests. No key
        // stays popular long enough for frequency to pay; only the pure-LRU end of the window range does.
        PolicyHarness adaptive = new PolicyHarness(new AdaptivePolicy(100));
        PolicyHarness lru = new PolicyHarness(new LruPolicy(100));
        java.util.SplittableRandom random = new java.util.SplittableRandom(5);
        for (int i = 0; i < 300_000; i++) {
            int key = i / 20 + (int) (-60 * Math.log(1 - random.nextDouble()));
            adaptive.request(key);
            lru.request(key);
        }
        double adaptiveRatio = (double) adaptive.hits / adaptive.requests;
        double lruRatio = (double) lru.hits / lru.requests;
        assertTrue(adaptiveRatio >= lruRatio - 0.01, "adaptive " + adaptiveRatio + " lru " + lruRatio);
        assertEquals(1.0, ((AdaptivePolicy) adaptive.policy).windowFraction());
    }

    @Test
    void accountsWeightsAndEvictsUntilWithinTheMaximum() {
        PolicyHarness h = new PolicyHarness(new AdaptivePolicy(10));
        h.request("a", 4);
        h.request("b", 4);
        assertEquals(8, h.policy.weightedSize());
        h.request("c", 4); // 12 > 10
        assertEquals(8, h.policy.weightedSize());

        assertEquals(List.of("c"), h.evicted); // c ties the victim a and loses
        TestNode b = h.resident.get("b");
        b.setPolicyWeight(1);
        h.policy.onUpdate(b, 4);
        assertEquals(5, h.policy.weightedSize());
        h.request("huge", 11); // heavier than the whole cache: evicted at once, nothing else is
        assertEquals("huge", h.evicted.get(h.evicted.size() - 1));
        assertTrue(h.policy.weightedSize() <= 10);
        assertEquals(
                h.resident.values().stream().mapToLong(n -> n.policyWeight()).sum(), h.policy.weightedSize());
    }

    @Test
    void removeUnlinksAndShrinkingTheMaximumEvictsEverythingOnce() {
        PolicyHarness h = new PolicyHarness(new AdaptivePolicy(5));
        for (int k = 0; k < 5; k++) {
            h.request(k);
        }
        TestNode two = h.resident.remove(2);
        h.policy.onRemove(two);
        assertEquals(4, h.policy.weightedSize());
        h.policy.setMaximum(0);
        assertEquals(0, h.policy.maximum());
        h.evictWhileOver();
        assertEquals(0, h.policy.weightedSize());
        assertEquals(4, h.evicted.size());
        assertNull(h.policy.evict());
        assertEquals(List.of(), h.policy.hottest(3));
    }

    @Test
    void rejectsMisuse() {
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> new AdaptivePolicy(-1));
        assertEquals("maximum must be >= 0 but was -1", negative.getMessage());
        AdaptivePolicy policy = new AdaptivePolicy(3);
        IllegalArgumentException limit = assertThrows(IllegalArgumentException.class, () -> policy.hottest(-1));
        assertEquals("limit must be >= 0 but was -1", limit.getMessage());
        TestNode stranger = new TestNode("stranger", 1);
        IllegalStateException notHeld = assertThrows(IllegalStateException.class, () -> policy.onAccess(stranger));
        assertEquals("node for key stranger is not held by the policy", notHeld.getMessage());
        assertThrows(IllegalStateException.class, () -> policy.onRemove(stranger));
    }

    @Test
    void sketchCountsWithoutUnderestimatingAndAges() {
        FrequencySketch sketch = new FrequencySketch();
        for (int i = 0; i < 7; i++) {
            sketch.increment(12345);
        }
        assertEquals(7, sketch.frequency(12345));
        for (int i = 0; i < 20; i++) {
            sketch.increment(777);
        }
        assertEquals(15, sketch.frequency(777)); // saturates
        assertEquals(16L, sketch.capacity());
        // 10 * capacity = 160 counted increments trigger the halving; 22 so far (saturated ones do not count)
        for (int key = 0; key < 20; key++) {
            for (int i = 0; i < 7; i++) {
                sketch.increment(1_000_000 + key);
            }
        }
        assertEquals(7, sketch.frequency(777));
        assertEquals(3, sketch.frequency(12345));
    }
}
