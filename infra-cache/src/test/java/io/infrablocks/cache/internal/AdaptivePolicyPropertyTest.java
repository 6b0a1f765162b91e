package io.infrablocks.cache.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.infrablocks.cache.internal.PolicyHarness.TestNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Invariants every policy keeps under any sequence of events the cache can send it. */
class AdaptivePolicyPropertyTest {

    /** An event: 0 request, 1 remove, 2 update the weight, 3 change the maximum. */
    record Op(int kind, int key, int weight) {}

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Combinators.combine(
                        Arbitraries.integers().between(0, 3).edgeCases(e -> e.includeOnly(0)),
                        Arbitraries.integers().between(0, 40),
                        Arbitraries.integers().between(1, 6))
                .as((kind, key, weight) -> new Op(kind == 3 && key % 4 != 0 ? 0 : kind, key, weight));
        return op.list().ofMaxSize(400);
    }

    @Property(tries = 200)
    void adaptiveKeepsTheBoundAndEvictsEachNodeOnce(
            @ForAll("ops") List<Op> ops, @ForAll @IntRange(min = 1, max = 25) int maximum) {
        check(new AdaptivePolicy(maximum), ops);
    }

    @Property(tries = 100)
    void lruKeepsTheBoundAndEvictsEachNodeOnce(
            @ForAll("ops") List<Op> ops, @ForAll @IntRange(min = 1, max = 25) int maximum) {
        check(new LruPolicy(maximum), ops);
    }

    @Property(tries = 50)
    void adaptiveOnManyKeysWithUnitWeights(
            @ForAll @Size(max = 3000) List<@IntRange(min = 0, max = 2000) Integer> keys,
            @ForAll @IntRange(min = 1, max = 300) int maximum) {
        List<Op> ops = new ArrayList<>();
        for (int key : keys) {
            ops.add(new Op(0, key, 1));
        }
        check(new AdaptivePolicy(maximum), ops);
    }

    private static void check(EvictionPolicy policy, List<Op> ops) {
        Map<Integer, TestNode> resident = new HashMap<>();
        Set<PolicyNode> added = new HashSet<>();
        Set<PolicyNode> gone = new HashSet<>();
        for (Op op : ops) {
            TestNode node = resident.get(op.key());
            switch (op.kind()) {
                case 0 -> {
                    if (node != null) {
                        policy.onAccess(node);
                    } else {
                        node = new TestNode(op.key(), op.weight());
                        resident.put(op.key(), node);
                        added.add(node);
                        policy.onAdd(node);
                    }
                }
                case 1 -> {
                    if (node != null) {
                        resident.remove(op.key());
                        policy.onRemove(node);
                        assertTrue(gone.add(node), "removed twice");
                    }
                }
                case 2 -> {
                    if (node != null) {
                        long old = node.policyWeight();
                        node.setPolicyWeight(op.weight());
                        policy.onUpdate(node, old);
                    }
                }
                default -> policy.setMaximum(Math.max(1, op.key() / 2));
            }
            evictWhileOver(policy, resident, gone);
            assertTrue(policy.weightedSize() <= policy.maximum(), "over the maximum once evictions stopped");
            assertEquals(
                    resident.values().stream().mapToLong(n -> n.policyWeight()).sum(),
                    policy.weightedSize(),
                    "weights are accounted exactly");
            assertTrue(policy.hottest(Integer.MAX_VALUE).size() == resident.size(), "hottest lists every entry");
        }
        // Drain: every node still resident is evicted exactly once, then the policy is empty.
        for (PolicyNode victim = policy.evict(); victim != null; victim = policy.evict()) {
            assertTrue(resident.remove(victim.key(), victim), "victim was resident");
            assertTrue(gone.add(victim), "evicted twice");
        }
        assertEquals(0, policy.weightedSize());
        assertTrue(resident.isEmpty(), "all drained");
        assertNull(policy.evict());
        assertEquals(added, gone, "every added node left exactly once");
    }

    private static void evictWhileOver(EvictionPolicy policy, Map<Integer, TestNode> resident, Set<PolicyNode> gone) {
        while (policy.weightedSize() > policy.maximum()) {
            PolicyNode victim = policy.evict();
            assertNotNull(victim, "over the maximum but nothing to evict");
            assertTrue(resident.remove(victim.key(), victim), "victim was resident");
            assertTrue(gone.add(victim), "evicted twice");
        }
    }
}
