package io.infrablocks.cache;

import com.google.common.collect.testing.ConcurrentMapTestSuiteBuilder;
import com.google.common.collect.testing.TestStringMapGenerator;
import com.google.common.collect.testing.features.CollectionFeature;
import com.google.common.collect.testing.features.CollectionSize;
import com.google.common.collect.testing.features.MapFeature;
import java.util.Map;
import junit.framework.Test;
import junit.framework.TestSuite;

/** Guava testlib's ConcurrentMap suite against {@link Cache#asMap()}, for both policies (JUnit 3 via vintage). */
public final class AsMapConformanceTest {

    private AsMapConformanceTest() {}

    /**
     * The suite.
     *
     * @return the Guava testlib tests for every policy
     */
    public static Test suite() {
        TestSuite suite = new TestSuite("asMap conformance");
        // Two configurations keep the run short: each policy once, each maintenance mode once.
        suite.addTest(suiteFor(EvictionPolicyKind.LRU, true));
        suite.addTest(suiteFor(EvictionPolicyKind.ADAPTIVE, false));
        return suite;
    }

    private static Test suiteFor(EvictionPolicyKind kind, boolean sync) {
        return ConcurrentMapTestSuiteBuilder.using(new TestStringMapGenerator() {
                    @Override
                    protected Map<String, String> create(Map.Entry<String, String>[] entries) {
                        CacheBuilder<Object, Object> builder =
                                CacheBuilder.newBuilder().maximumSize(1_000).evictionPolicy(kind);
                        if (sync) {
                            builder.executor(Runnable::run);
                        }
                        Cache<String, String> cache = builder.build();
                        for (Map.Entry<String, String> e : entries) {
                            cache.put(e.getKey(), e.getValue());
                        }
                        return cache.asMap();
                    }
                })
                .named("asMap " + kind + (sync ? " same-thread maintenance" : " async maintenance"))
                .withFeatures(
                        MapFeature.GENERAL_PURPOSE, CollectionSize.ANY, CollectionFeature.SUPPORTS_ITERATOR_REMOVE)
                .createTestSuite();
    }
}
