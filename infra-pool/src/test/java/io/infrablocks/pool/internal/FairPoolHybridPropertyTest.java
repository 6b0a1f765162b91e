package io.infrablocks.pool.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.infrablocks.pool.Await;
import io.infrablocks.pool.Fairness;
import io.infrablocks.pool.FakeClock;
import io.infrablocks.pool.Lease;
import io.infrablocks.pool.Pool;
import io.infrablocks.pool.PoolExhaustedException;
import io.infrablocks.pool.TestFactory;
import io.infrablocks.pool.TestFactory.Res;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The starvation bound of the hybrid mode, checked step by step against a model under an injected clock.
 * A controller thread plays a random schedule of arrivals (a new thread calls {@code acquire()}),
 * releases, clock steps and barging attempts ({@code acquire(ZERO)} from a running thread); after every
 * step it waits, with a bound, until the pool is quiet: every waiter that has not returned from {@code
 * acquire} is counted as linked in the queue, no resource is idle while someone waits, and every resource
 * is idle or in a lease the controller holds or was handed by a served waiter. Time moves only
 * in clock steps, so the ages of the waiters at each release are exact.
 */
class FairPoolHybridPropertyTest {

    private static final long THRESHOLD = TimeUnit.MILLISECONDS.toNanos(1);

    /**
     * (a) The bound: a resource released while the oldest waiter has waited the threshold (or while the
     * pool starves) goes to that waiter, nobody else; a waiter that has waited the threshold is never
     * overtaken, so it waits at most the threshold plus the time to serve the waiters ahead of it; a
     * barging attempt gets a resource only when nobody waits; the starvation flag follows Go's rule (set by
     * an old head, cleared by serving a young or the last waiter). (c) No lost wake-up: at the end, every
     * waiter is served once resources come back.
     */
    @Property(tries = 30)
    void aWaiterThatHasWaitedTheThresholdIsOvertakenByNobody(
            @ForAll @IntRange(min = 1, max = 3) int maxSize,
            @ForAll @Size(min = 1, max = 60) List<@IntRange(min = 0, max = 7) Integer> ops)
            throws Exception {
        FakeClock clock = new FakeClock();
        TestFactory factory = new TestFactory();
        FairPool<Res> pool = (FairPool<Res>) Pool.builder(factory)
                .name("hybrid-prop")
                .maxSize(maxSize)
                .clock(clock)
                .acquireTimeout(Duration.ofHours(1))
                .validateAfterIdle(Duration.ofDays(1))
                .housekeepingPeriod(Duration.ofHours(1))
                .fairness(Fairness.hybrid(Duration.ofNanos(THRESHOLD)))
                .build();
        ExecutorService exec = Executors.newCachedThreadPool();
        LinkedBlockingQueue<Lease<Res>> handed = new LinkedBlockingQueue<>();
        LinkedBlockingQueue<Integer> servedIds = new LinkedBlockingQueue<>();
        Model m = new Model(pool, maxSize, clock, exec, handed, servedIds);
        try {
            for (int i = 0; i < maxSize; i++) {
                m.held.add(pool.acquire());
            }
            for (int op : ops) {
                m.held.addAll(drain(handed));
                switch (op) {
                    case 0, 1 -> m.arrive();
                    case 2, 3 -> m.release();
                    case 4 -> clock.advance(Duration.ofNanos(400_000));
                    case 5 -> clock.advance(Duration.ofNanos(THRESHOLD));
                    case 6 -> clock.advance(Duration.ofNanos(700_000));
                    default -> m.barge();
                }
            }
            while (!m.queue.isEmpty()) { // no lost wake-up: every waiter is served
                m.held.addAll(drain(handed));
                m.release();
            }
            assertEquals(m.started, m.served, "every waiter served");
            assertEquals(maxSize, factory.created.get(), "no resource beyond the first maxSize");
        } finally {
            exec.shutdownNow();
            pool.close(Duration.ZERO);
        }
    }

    private static List<Lease<Res>> drain(LinkedBlockingQueue<Lease<Res>> q) {
        List<Lease<Res>> out = new ArrayList<>();
        q.drainTo(out);
        return out;
    }

    /** The controller's model of the queue (ids in arrival order) and of the starvation flag. */
    private static final class Model {
        final FairPool<Res> pool;
        final int maxSize;
        final FakeClock clock;
        final ExecutorService exec;
        final LinkedBlockingQueue<Lease<Res>> handed;
        final LinkedBlockingQueue<Integer> servedIds;
        final ArrayDeque<Lease<Res>> held = new ArrayDeque<>();
        final ArrayDeque<Integer> queue = new ArrayDeque<>();
        final List<Long> arrivedAt = new ArrayList<>();
        boolean starving;
        int started;
        int served;

        Model(
                FairPool<Res> pool,
                int maxSize,
                FakeClock clock,
                ExecutorService exec,
                LinkedBlockingQueue<Lease<Res>> handed,
                LinkedBlockingQueue<Integer> servedIds) {
            this.pool = pool;
            this.maxSize = maxSize;
            this.clock = clock;
            this.exec = exec;
            this.handed = handed;
            this.servedIds = servedIds;
        }

        void arrive() {
            if (queue.size() >= 10) {
                return;
            }
            int id = started++;
            arrivedAt.add(clock.nanoTime());
            boolean idle = pool.freeSlots() > 0;
            exec.submit(() -> {
                Lease<Res> lease = pool.acquire();
                handed.add(lease);
                servedIds.add(id);
                return null;
            });
            List<Integer> got = settle(1);
            if (idle) {
                assertEquals(List.of(id), got, "an arrival with a resource idle and nobody waiting takes it");
            } else {
                assertEquals(List.of(), got, "an arrival while nothing is idle waits");
                queue.addLast(id);
            }
            assertEquals(starving, pool.starving(), "starving after an arrival");
        }

        void release() {
            Lease<Res> lease = held.poll();
            if (lease == null) {
                return;
            }
            long now = clock.nanoTime();
            Integer head = queue.peekFirst();
            boolean headIsOld = head != null && now - arrivedAt.get(head) >= THRESHOLD;
            boolean toHead = head != null && (starving || headIsOld);
            lease.close();
            List<Integer> got = settle(1);
            if (head == null) {
                assertEquals(List.of(), got);
                starving = false;
            } else if (toHead) {
                assertEquals(List.of(head), got, "released while the head starves: handed to the head");
                queue.removeFirst();
                starving = headIsOld && !queue.isEmpty();
            } else {
                assertEquals(1, got.size(), "released while waiters wait: one of them takes it");
                int who = got.get(0);
                for (int ahead : queue) {
                    if (ahead == who) {
                        break;
                    }
                    assertTrue(
                            now - arrivedAt.get(ahead) < THRESHOLD,
                            "waiter " + ahead + " waited the threshold and was overtaken by " + who);
                }
                queue.remove(who);
            }
            assertEquals(starving, pool.starving(), "starving after a release");
        }

        void barge() {
            if (pool.freeSlots() > 0) {
                assertTrue(queue.isEmpty(), "quiet: idle only when nobody waits");
                held.add(pool.acquire(Duration.ZERO));
            } else {
                assertThrows(PoolExhaustedException.class, () -> pool.acquire(Duration.ZERO));
            }
            assertEquals(starving, pool.starving(), "starving after a barging attempt");
        }

        /**
         * Waits until the pool is quiet (see the class comment) and returns the ids served meanwhile (at most
         * {@code max}, else fails).
         */
        List<Integer> settle(int max) {
            Await.until("pool quiet", () -> {
                int unserved = started - served - servedIds.size();
                int linked = pool.linkedWaiters();
                int free = pool.freeSlots();
                // Every resource is idle or in a lease the controller knows (none in transit, e.g. claimed
                // by a waiter that has not yet left the queue).
                return linked == unserved
                        && (linked == 0 || free == 0)
                        && free + held.size() + handed.size() == maxSize;
            });
            List<Integer> got = new ArrayList<>();
            servedIds.drainTo(got);
            served += got.size();
            assertTrue(got.size() <= max, "served " + got);
            return got;
        }
    }
}
