package io.infrablocks.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Checks the hit-ratio target of the ADAPTIVE policy on many workloads: replays traces through
 * {@link CacheSimulator} ({@code lru}, {@code caffeine}, {@code adaptive}, {@code opt}) and prints a Markdown table
 * with the target {@code max(LRU, Caffeine) - 1} point per cell, whether it is met, and the means.
 *
 * <pre>
 * java -cp infra-bench/target/benchmarks.jar io.infrablocks.bench.RobustnessSweep --out DIR [--seed S]
 *     [--manifest FILE] [--policies P,...]
 * </pre>
 *
 * <p>Without {@code --manifest} it first writes the {@link TraceGenerator} traces to {@code DIR} and replays them
 * at the sizes of their {@code sizes.txt}; with it, it replays the traces the manifest lists ({@code PATH
 * SIZE,SIZE,...} per line, a relative path resolved against the manifest's directory). The raw CSV goes to
 * {@code DIR/results.csv}. With {@code --policies} a subset can be replayed (the table then shows the missing
 * ones as blanks).
 */
public final class RobustnessSweep {

    private RobustnessSweep() {}

    /**
     * Runs the sweep.
     *
     * @param args the command line
     * @throws IOException if a trace or the output cannot be written or read
     */
    public static void main(String[] args) throws IOException {
        Path out = null;
        Path manifest = null;
        long seed = 42;
        String policies = "lru,caffeine,adaptive,opt";
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--out" -> out = Path.of(args[i + 1]);
                case "--manifest" -> manifest = Path.of(args[i + 1]);
                case "--seed" -> seed = Long.parseLong(args[i + 1]);
                case "--policies" -> policies = args[i + 1];
                default -> {
                    System.err.println("RobustnessSweep: unknown option '" + args[i] + "'");
                    System.exit(2);
                }
            }
        }
        if (out == null || args.length % 2 != 0) {
            System.err.println("usage: RobustnessSweep --out DIR [--seed S] [--manifest FILE] [--policies P,...]");
            System.exit(2);
        }
        Files.createDirectories(out);
        if (manifest == null) {
            TraceGenerator.write(out, TraceGenerator.all(seed));
            manifest = out.resolve("sizes.txt");
        }
        Path base = manifest.toAbsolutePath().getParent();
        StringBuilder csv = new StringBuilder("trace,size,policy,requests,hits,hit_ratio\n");
        Map<String, Map<String, Double>> cells = new LinkedHashMap<>();
        for (String line : Files.readAllLines(manifest, StandardCharsets.UTF_8)) {
            String[] parts = line.trim().split("\\s+");
            if (parts.length != 2) {
                continue;
            }
            Path trace = base.resolve(parts[0]);
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            int status;
            try (PrintStream capture = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
                status = CacheSimulator.run(
                        new String[] {"--trace", trace.toString(), "--sizes", parts[1], "--policies", policies},
                        capture,
                        System.err);
            }
            if (status != 0) {
                System.exit(status);
            }
            String[] rows = buffer.toString(StandardCharsets.UTF_8).split("\n");
            for (int r = 1; r < rows.length; r++) {
                csv.append(rows[r]).append('\n');
                String[] f = rows[r].split(",");
                String name = f[0].endsWith(".keys.gz") ? f[0].substring(0, f[0].length() - 8) : f[0];
                cells.computeIfAbsent(name + "|" + f[1], k -> new LinkedHashMap<>())
                        .put(f[2], 100 * Double.parseDouble(f[5]));
            }
            System.err.println("done " + parts[0]);
        }
        Files.writeString(out.resolve("results.csv"), csv.toString(), StandardCharsets.UTF_8);
        System.out.print(table(cells));
    }

    /** The Markdown table of a map "trace|size" to policy to hit ratio in percent. */
    static String table(Map<String, Map<String, Double>> cells) {
        StringBuilder sb = new StringBuilder();
        sb.append("| trace | size | LRU | Caffeine | ADAPTIVE | OPT | target | met |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---|\n");
        List<Double> adaptive = new ArrayList<>();
        List<Double> caffeine = new ArrayList<>();
        List<Double> lru = new ArrayList<>();
        int met = 0;
        int judged = 0;
        for (Map.Entry<String, Map<String, Double>> cell : cells.entrySet()) {
            String[] id = cell.getKey().split("\\|");
            Map<String, Double> p = cell.getValue();
            Double l = p.get("lru");
            Double c = p.get("caffeine");
            Double a = p.get("adaptive");
            String target = "";
            String ok = "";
            if (l != null && c != null && a != null) {
                double t = Math.max(l, c) - 1.0;
                target = String.format(Locale.ROOT, "%.2f", t);
                judged++;
                if (a >= t - 1e-9) {
                    met++;
                    ok = "yes";
                } else {
                    ok = String.format(Locale.ROOT, "NO (%.2f)", a - t);
                }
            }
            if (a != null) {
                adaptive.add(a);
            }
            if (c != null) {
                caffeine.add(c);
            }
            if (l != null) {
                lru.add(l);
            }
            sb.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %s | %s | %s | %s | %s | %s |%n",
                    id[0],
                    id[1],
                    fmt(l),
                    fmt(c),
                    a == null ? "" : "**" + fmt(a) + "**",
                    fmt(p.get("opt")),
                    target,
                    ok));
        }
        sb.append(String.format(
                Locale.ROOT,
                "%nmean ADAPTIVE %s, Caffeine %s, LRU %s; cells met %d/%d%n",
                fmt(mean(adaptive)),
                fmt(mean(caffeine)),
                fmt(mean(lru)),
                met,
                judged));
        return sb.toString();
    }

    private static Double mean(List<Double> values) {
        return values.isEmpty()
                ? null
                : values.stream().mapToDouble(Double::doubleValue).average().orElse(0);
    }

    private static String fmt(Double value) {
        return value == null ? "" : String.format(Locale.ROOT, "%.2f", value);
    }
}
