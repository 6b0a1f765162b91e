package io.infrablocks.pool.work.conformance;

import com.google.common.collect.testing.QueueTestSuiteBuilder;
import com.google.common.collect.testing.TestStringQueueGenerator;
import com.google.common.collect.testing.features.CollectionFeature;
import com.google.common.collect.testing.features.CollectionSize;
import io.infrablocks.pool.work.BoundedQueue;
import java.util.Queue;
import junit.framework.Test;
import junit.framework.TestSuite;

/** Guava testlib's Queue and Collection conformance suites for {@link BoundedQueue} (run by junit-vintage). */
public final class BoundedQueueConformanceTest {

    private BoundedQueueConformanceTest() {}

    /**
     * The suites: a power-of-two capacity, a capacity that is not, and a ring whose positions have wrapped.
     *
     * @return the JUnit 3 suite
     */
    public static Test suite() {
        TestSuite suite = new TestSuite("BoundedQueue");
        suite.addTest(suite("BoundedQueue[capacity 64]", elements -> BoundedQueue.withCapacity(64)));
        suite.addTest(
                suite("BoundedQueue[capacity size+3]", elements -> BoundedQueue.withCapacity(elements.length + 3)));
        suite.addTest(suite("BoundedQueue[wrapped, capacity size+5]", elements -> {
            BoundedQueue<String> queue = BoundedQueue.withCapacity(elements.length + 5);
            for (int i = 0; i < 2 * elements.length + 7; i++) {
                queue.offer("x");
                queue.poll();
            }
            return queue;
        }));
        return suite;
    }

    private interface Factory {
        Queue<String> create(String[] elements);
    }

    private static Test suite(String name, Factory factory) {
        return QueueTestSuiteBuilder.using(new TestStringQueueGenerator() {
                    @Override
                    protected Queue<String> create(String[] elements) {
                        Queue<String> queue = factory.create(elements);
                        for (String e : elements) {
                            queue.add(e);
                        }
                        return queue;
                    }
                })
                .named(name)
                .withFeatures(
                        CollectionFeature.GENERAL_PURPOSE,
                        CollectionFeature.KNOWN_ORDER,
                        CollectionFeature.ALLOWS_NULL_QUERIES,
                        CollectionSize.ANY)
                .createTestSuite();
    }
}
