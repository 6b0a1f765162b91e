package io.infrablocks.cache.internal;

import io.infrablocks.cache.EvictionPolicyKind;
import java.util.Objects;

/** The one place that maps a {@link EvictionPolicyKind} to its {@link EvictionPolicy} implementation. */
public final class Policies {

    private Policies() {}

    /**
     * Creates a policy.
     *
     * @param kind the kind
     * @param maximum the bound on total weight, positive
     * @return a new, empty policy
     */
    public static EvictionPolicy create(EvictionPolicyKind kind, long maximum) {
        Objects.requireNonNull(kind, "kind");
        switch (kind) {
            case LRU:
                return new LruPolicy(maximum);
            case ADAPTIVE:
                // Placeholder until io.infrablocks.cache.internal.AdaptivePolicy(long maximum) lands.
                return new LruPolicy(maximum);
            default:
                throw new IllegalArgumentException("unknown eviction policy " + kind);
        }
    }
}
