package io.infrablocks.cache;

/** The replacement policy a bounded cache uses to choose what to evict. */
public enum EvictionPolicyKind {
    /** Exact least-recently-used: on any trace its hits equal a reference LRU's, request for request. */
    LRU,
    /**
     * The default: scan-resistant, frequency-aware and self-tuning, aiming at a higher hit ratio than LRU on
     * real workloads.
     */
    ADAPTIVE
}
