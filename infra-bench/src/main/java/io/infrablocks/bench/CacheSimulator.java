package io.infrablocks.bench;

import com.github.benmanes.caffeine.cache.Caffeine;
import io.infrablocks.cache.Cache;
import io.infrablocks.cache.CacheBuilder;
import io.infrablocks.cache.EvictionPolicyKind;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Replays key traces through cache policies and prints their hit ratios as CSV.
 *
 * <pre>
 * java -cp infra-bench/target/benchmarks.jar io.infrablocks.bench.CacheSimulator \
 *     --trace PATH[,PATH...] --sizes N[,N...] --policies P[,P...]
 * </pre>
 *
 * <p>A trace is a text file, optionally gzip-compressed (detected from its first bytes, whatever its name), with
 * one key per line; blank lines are skipped, a line that is a decimal {@code long} becomes a {@code Long} key and
 * any other line a {@code String} key. Each request is replayed as "get; on a miss, put". Policies:
 *
 * <ul>
 *   <li>{@code lru}: the infrablocks cache with {@link EvictionPolicyKind#LRU}, built through the public
 *       {@link CacheBuilder} with {@code maximumSize(size)} and {@code executor(Runnable::run)}, so maintenance
 *       runs synchronously on the replaying thread and no access is dropped;
 *   <li>{@code adaptive}: the same with {@link EvictionPolicyKind#ADAPTIVE} (the default policy);
 *   <li>{@code caffeine}: Caffeine with {@code maximumSize(size)} and a same-thread executor, for comparison;
 *   <li>{@code opt}: Belady's offline optimum (on a miss with a full cache, evict the resident key whose next
 *       request is farthest in the future; the missed key is always inserted), the upper bound of any policy
 *       under this replay. Next-use positions are precomputed and residents kept in a max-heap with lazy
 *       deletion: O(n log n).
 * </ul>
 *
 * <p>Output: the header {@code trace,size,policy,requests,hits,hit_ratio}, then one row per trace, size and
 * policy in that nesting order; {@code trace} is the file name without its directory, {@code hit_ratio} is
 * {@code hits / requests} with 4 decimals. Unknown options, missing or malformed values and unreadable traces
 * print a message on stderr and exit with code 2.
 */
public final class CacheSimulator {

    /** The policies this simulator knows, in the order of the usage message. */
    static final List<String> POLICIES = List.of("lru", "adaptive", "opt", "caffeine");

    private CacheSimulator() {}

    /**
     * Runs the simulator and exits with its status.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        System.out.flush();
        if (status != 0) {
            System.exit(status);
        }
    }

    /**
     * Runs the simulator.
     *
     * @param args the command line
     * @param out where the CSV goes
     * @param err where error messages go
     * @return the exit status: 0, or 2 for a usage error or an unreadable trace
     */
    static int run(String[] args, PrintStream out, PrintStream err) {
        List<Path> traces = null;
        List<Integer> sizes = null;
        List<String> policies = null;
        try {
            for (int i = 0; i < args.length; i++) {
                String option = args[i];
                if (!option.equals("--trace") && !option.equals("--sizes") && !option.equals("--policies")) {
                    throw new UsageException("unknown option '" + option + "'");
                }
                if (i + 1 >= args.length || args[i + 1].isEmpty()) {
                    throw new UsageException("option " + option + " needs a value");
                }
                String[] values = args[++i].split(",", -1);
                switch (option) {
                    case "--trace" -> traces = parseTraces(values);
                    case "--sizes" -> sizes = parseSizes(values);
                    default -> policies = parsePolicies(values);
                }
            }
            if (traces == null || sizes == null || policies == null) {
                throw new UsageException("--trace, --sizes and --policies are all required");
            }
        } catch (UsageException e) {
            err.println("CacheSimulator: " + e.getMessage());
            err.println("usage: CacheSimulator --trace PATH[,PATH...] --sizes N[,N...] --policies P[,P...]" + " (P in "
                    + String.join(", ", POLICIES) + ")");
            return 2;
        }

        out.println("trace,size,policy,requests,hits,hit_ratio");
        for (Path path : traces) {
            Object[] keys;
            try {
                keys = readTrace(path);
            } catch (IOException | RuntimeException e) {
                err.println("CacheSimulator: cannot read trace " + path + ": " + e);
                return 2;
            }
            String name = path.getFileName().toString();
            for (int size : sizes) {
                for (String policy : policies) {
                    long hits = replay(policy, keys, size);
                    double ratio = keys.length == 0 ? 0.0 : (double) hits / keys.length;
                    out.printf(Locale.ROOT, "%s,%d,%s,%d,%d,%.4f%n", name, size, policy, keys.length, hits, ratio);
                }
            }
            out.flush();
        }
        return 0;
    }

    private static List<Path> parseTraces(String[] values) throws UsageException {
        List<Path> paths = new ArrayList<>();
        for (String value : values) {
            if (value.isEmpty()) {
                throw new UsageException("empty trace path in --trace");
            }
            paths.add(Path.of(value));
        }
        return paths;
    }

    private static List<Integer> parseSizes(String[] values) throws UsageException {
        List<Integer> sizes = new ArrayList<>();
        for (String value : values) {
            int size;
            try {
                size = Integer.parseInt(value.trim());
            } catch (NumberFormatException e) {
                throw new UsageException("size must be a positive integer but was '" + value + "'");
            }
            if (size <= 0) {
                throw new UsageException("size must be > 0 but was " + size);
            }
            sizes.add(size);
        }
        return sizes;
    }

    private static List<String> parsePolicies(String[] values) throws UsageException {
        List<String> policies = new ArrayList<>();
        for (String value : values) {
            String policy = value.trim().toLowerCase(Locale.ROOT);
            if (!POLICIES.contains(policy)) {
                throw new UsageException("unknown policy '" + value + "'");
            }
            policies.add(policy);
        }
        return policies;
    }

    /** Reads a trace: gzip if it starts with the gzip magic bytes, plain text otherwise. */
    static Object[] readTrace(Path path) throws IOException {
        List<Object> keys = new ArrayList<>();
        Map<String, Object> canonical = new HashMap<>();
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(path))) {
            raw.mark(2);
            boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
            raw.reset();
            InputStream in = gzip ? new GZIPInputStream(raw, 1 << 16) : raw;
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    String text = line.trim();
                    if (!text.isEmpty()) {
                        keys.add(canonical.computeIfAbsent(text, CacheSimulator::toKey));
                    }
                }
            }
        }
        return keys.toArray();
    }

    private static Object toKey(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            return text;
        }
    }

    /**
     * Replays a trace through one policy.
     *
     * @return the number of hits
     */
    static long replay(String policy, Object[] keys, int size) {
        return switch (policy) {
            case "lru" -> replayInfrablocks(keys, size, EvictionPolicyKind.LRU);
            case "adaptive" -> replayInfrablocks(keys, size, EvictionPolicyKind.ADAPTIVE);
            case "caffeine" -> replayCaffeine(keys, size);
            case "opt" -> replayOpt(keys, size);
            default -> throw new IllegalArgumentException("unknown policy " + policy);
        };
    }

    private static long replayInfrablocks(Object[] keys, int size, EvictionPolicyKind kind) {
        Cache<Object, Object> cache = CacheBuilder.newBuilder()
                .maximumSize(size)
                .evictionPolicy(kind)
                .executor(Runnable::run)
                .build();
        long hits = 0;
        for (Object key : keys) {
            if (cache.getIfPresent(key) != null) {
                hits++;
            } else {
                cache.put(key, Boolean.TRUE);
            }
        }
        return hits;
    }

    private static long replayCaffeine(Object[] keys, int size) {
        com.github.benmanes.caffeine.cache.Cache<Object, Object> cache =
                Caffeine.newBuilder().maximumSize(size).executor(Runnable::run).build();
        long hits = 0;
        for (Object key : keys) {
            if (cache.getIfPresent(key) != null) {
                hits++;
            } else {
                cache.put(key, Boolean.TRUE);
            }
        }
        return hits;
    }

    /** Belady's MIN with forced insertion: evict the resident key requested farthest in the future. */
    static long replayOpt(Object[] keys, int size) {
        int n = keys.length;
        Map<Object, Integer> ids = new HashMap<>();
        int[] id = new int[n];
        for (int i = 0; i < n; i++) {
            Integer known = ids.putIfAbsent(keys[i], ids.size());
            id[i] = known == null ? ids.size() - 1 : known;
        }
        int[] nextUse = new int[n];
        int[] last = new int[ids.size()];
        Arrays.fill(last, Integer.MAX_VALUE);
        for (int i = n - 1; i >= 0; i--) {
            nextUse[i] = last[id[i]];
            last[id[i]] = i;
        }
        // current next use of each resident key; -1 when not resident
        int[] residentNext = new int[ids.size()];
        Arrays.fill(residentNext, -1);
        LongMaxHeap heap = new LongMaxHeap();
        int resident = 0;
        long hits = 0;
        for (int i = 0; i < n; i++) {
            int k = id[i];
            if (residentNext[k] >= 0) {
                hits++;
            } else {
                if (resident == size) {
                    while (true) {
                        long top = heap.poll();
                        int victimNext = (int) (top >>> 32);
                        int victim = (int) top;
                        if (residentNext[victim] == victimNext) {
                            residentNext[victim] = -1;
                            break;
                        }
                    }
                } else {
                    resident++;
                }
            }
            residentNext[k] = nextUse[i];
            heap.add(((long) nextUse[i] << 32) | k);
        }
        return hits;
    }

    /** A binary max-heap of longs (next use in the high half, key id in the low half). */
    private static final class LongMaxHeap {
        private long[] heap = new long[1024];
        private int size;

        void add(long value) {
            if (size == heap.length) {
                heap = Arrays.copyOf(heap, size * 2);
            }
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (heap[parent] >= value) {
                    break;
                }
                heap[i] = heap[parent];
                i = parent;
            }
            heap[i] = value;
        }

        long poll() {
            long top = heap[0];
            long last = heap[--size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) {
                    break;
                }
                if (child + 1 < size && heap[child + 1] > heap[child]) {
                    child++;
                }
                if (heap[child] <= last) {
                    break;
                }
                heap[i] = heap[child];
                i = child;
            }
            if (size > 0) {
                heap[i] = last;
            }
            return top;
        }
    }

    /** A reference LRU (for tests): hits of "get; on a miss, put" through an access-ordered LinkedHashMap. */
    static long replayReferenceLru(Object[] keys, int size) {
        Map<Object, Boolean> lru = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Object, Boolean> eldest) {
                return size() > size;
            }
        };
        long hits = 0;
        for (Object key : keys) {
            if (lru.get(key) != null) {
                hits++;
            } else {
                lru.put(key, Boolean.TRUE);
            }
        }
        return hits;
    }

    private static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }
}
