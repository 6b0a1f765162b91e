package io.infrablocks.bench;

import java.lang.ref.Reference;
import java.util.Locale;

/**
 * Measures the heap a cache needs per entry: {@code N} entries (default 1,000,000) in a cache bounded at
 * {@code N}, keys and values being pre-allocated {@link Integer}s counted in the baseline, so the figure is
 * the cache's own overhead (table, nodes, policy, buffers). Heap use is read from {@link Runtime} after
 * repeated full GCs; run each implementation in its own JVM with a stop-the-world collector:
 *
 * <pre>{@code
 * java -XX:+UseSerialGC -Xmx3g -cp infra-bench/target/benchmarks.jar \
 *     io.infrablocks.bench.CacheMemoryFootprint infrablocks 1000000
 * }</pre>
 *
 * <p>Output: one line {@code impl,resident_entries,bytes_per_entry}.
 */
public final class CacheMemoryFootprint {

    private CacheMemoryFootprint() {}

    /**
     * Runs the measurement.
     *
     * @param args the implementation ({@code infrablocks}, {@code caffeine} or {@code guava}) and optionally
     *     the entry count
     */
    public static void main(String[] args) {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: CacheMemoryFootprint infrablocks|caffeine|guava [entries]");
            System.exit(2);
        }
        String impl = args[0];
        int n = args.length == 2 ? Integer.parseInt(args[1]) : 1_000_000;
        Integer[] keys = new Integer[n];
        for (int i = 0; i < n; i++) {
            keys[i] = i + 1_000_000_000; // outside Integer's small-value cache: every key its own object
        }
        long before = usedAfterGc();
        CacheBenchmark.Adapter cache = CacheBenchmark.create(impl, n);
        for (int i = 0; i < n; i++) {
            cache.put(keys[i], keys[i]);
        }
        int resident = 0;
        for (int i = 0; i < n; i++) {
            if (cache.get(keys[i]) != null) {
                resident++;
            }
        }
        long after = usedAfterGc();
        // Guava bounds each of its segments separately, so it may evict a little below the total bound.
        double perEntry = (double) (after - before) / resident;
        System.out.println(String.format(Locale.ROOT, "%s,%d,%.1f", impl, resident, perEntry));
        Reference.reachabilityFence(cache);
        Reference.reachabilityFence(keys);
    }

    private static long usedAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            try {
                Thread.sleep(100); // let the common pool's maintenance tasks finish between collections
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            used = Math.min(used, rt.totalMemory() - rt.freeMemory());
        }
        return used;
    }
}
