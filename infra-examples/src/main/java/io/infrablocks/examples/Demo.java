package io.infrablocks.examples;

import io.infrablocks.lb.Endpoint;
import io.infrablocks.lb.EndpointStats;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The main job: the textbook three-tier system on one machine, under load and under scripted faults.
 *
 * <pre>
 *   load generator (N clients, Zipf keys, 80% reads)
 *        |
 *   front proxy: infra-lb P2C peak-EWMA, health checks, outlier ejection, sticky sessions, failover
 *        |
 *   app servers: WorkerPool (overflow 503) - write-back cache + journal - JdbcCacheStore - PooledDataSource
 *        |
 *   database: embedded H2, or PostgreSQL with --jdbc-url
 * </pre>
 *
 * Exit codes: 0 when no acknowledged write was lost, 1 when some were, 2 for a bad command line.
 */
public final class Demo {

    /** What a run measured, for the report and for tests. */
    record Result(
            RunSeries series,
            Phases phases,
            List<String> serverNames,
            List<String> lostWrites,
            long writesAcknowledged,
            long keysWritten,
            double cacheHitRatio,
            List<String> report) {}

    private Demo() {}

    /**
     * Runs the demo.
     *
     * @param args the command line; {@code --help} lists the options
     */
    public static void main(String[] args) {
        // The blocks log lifecycle at INFO; the demo's own report is what a newcomer should read.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        Optional<DemoOptions> options;
        try {
            options = DemoOptions.parse(args);
        } catch (DemoOptions.UsageException e) {
            System.err.println("infra-demo: " + e.getMessage());
            System.err.println("Run with --help for the options.");
            System.exit(2);
            return;
        }
        if (options.isEmpty()) {
            System.out.println(DemoOptions.USAGE);
            return;
        }
        try {
            Result result = run(options.get(), System.out);
            System.exit(result.lostWrites().isEmpty() ? 0 : 1);
        } catch (Exception e) {
            System.err.println("infra-demo: failed: " + e);
            e.printStackTrace(System.err);
            System.exit(1);
        }
    }

    static Result run(DemoOptions o, PrintStream out) throws IOException, SQLException, InterruptedException {
        // The JDK's HTTP server writes headers and body separately: without TCP_NODELAY every small answer
        // waits for the client's delayed ACK (~40 ms). Read once, when the server classes first load.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        Path outDir = o.outDir().toAbsolutePath();
        Path journals = outDir.resolve("journals");
        deleteRecursively(journals);
        Files.createDirectories(journals);
        int seconds = (int) Math.max(1, (o.duration().toMillis() + 999) / 1000);

        try (Database database = o.jdbcUrl().isPresent()
                ? Database.connect(o.jdbcUrl().get(), o.jdbcUser(), o.jdbcPassword())
                : Database.embedded()) {
            List<AppServer> servers = new ArrayList<>();
            List<String> names = new ArrayList<>();
            List<Endpoint> endpoints = new ArrayList<>();
            for (int i = 0; i < o.servers(); i++) {
                String name = "app-" + i;
                AppServer server = new AppServer(name, database, journals.resolve(name), 8);
                server.start();
                servers.add(server);
                names.add(name);
                endpoints.add(
                        Endpoint.of(name, new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port())));
            }
            out.printf(
                    Locale.ROOT,
                    "infra-demo: %d servers over %s, %d clients for %ds%n",
                    o.servers(),
                    database.describe(),
                    o.clients(),
                    seconds);
            Phases phases = Phases.of(seconds, o.servers());
            RunSeries series = new RunSeries(seconds, o.servers());
            List<String> report = new ArrayList<>();
            LoadGenerator load;
            try (FrontProxy front = new FrontProxy(endpoints, Math.max(16, o.clients() * 2))) {
                load = new LoadGenerator(front.uri(), o.clients(), o.keys(), o.seed(), series, Demo::serverIndex);
                int warmUp = (int) o.warmUp().toSeconds();
                if (warmUp > 0) {
                    if (!o.quiet()) {
                        out.println("warming up for " + warmUp + "s (not measured)...");
                    }
                    load.warmUp(warmUp);
                }
                ScheduledExecutorService timer = Executors.newScheduledThreadPool(1, r -> {
                    Thread t = new Thread(r, "demo-faults");
                    t.setDaemon(true);
                    return t;
                });
                long start = System.nanoTime();
                long end = start + TimeUnit.SECONDS.toNanos(seconds);
                AppServer slow = servers.get(phases.slowServer());
                AppServer stopped = servers.get(phases.stoppedServer());
                timer.schedule(() -> slow.slow(true), phases.slowAt() * 1000L, TimeUnit.MILLISECONDS);
                timer.schedule(stopped::stop, phases.stopAt() * 1000L, TimeUnit.MILLISECONDS);
                timer.schedule(
                        () -> {
                            try {
                                stopped.start();
                            } catch (IOException e) {
                                out.println("infra-demo: could not restart " + stopped.name() + ": " + e);
                            }
                        },
                        phases.restartAt() * 1000L,
                        TimeUnit.MILLISECONDS);
                if (!o.quiet()) {
                    timer.scheduleAtFixedRate(() -> progress(out, series, start), 1, 1, TimeUnit.SECONDS);
                }
                load.run(start, end);
                timer.shutdownNow();
                timer.awaitTermination(10, TimeUnit.SECONDS);
                if (!o.quiet()) {
                    out.println();
                }
                double elapsed = (System.nanoTime() - start) / 1e9;
                ReportWriter writer = new ReportWriter(series, phases, names);
                java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
                PrintStream lines = new PrintStream(buffer, true, java.nio.charset.StandardCharsets.UTF_8);
                writer.printTraffic(lines, elapsed);
                lines.printf(
                        Locale.ROOT,
                        "balancer:          %d failovers, %d sticky rebinds, %d with no server; ejections %s%n",
                        front.failovers(),
                        front.rebinds(),
                        front.noEndpoint(),
                        front.stats().endpoints().stream()
                                .sorted(Comparator.comparing(e -> e.endpoint().id()))
                                .map(Demo::ejections)
                                .toList());
                slow.slow(false);
                front.shutdown(); // no more health checks or traffic while the servers shut down
                for (AppServer s : servers) {
                    s.stop(); // flushes every write-back cache to the database
                }
                long hits = 0;
                long misses = 0;
                long rejected = 0;
                long journalWrites = 0;
                long stored = 0;
                long batches = 0;
                long replayed = 0;
                long acquireP99 = 0;
                long queueP99 = 0;
                for (AppServer s : servers) {
                    hits += s.hits();
                    misses += s.misses();
                    AppServer.Totals t = s.totals();
                    rejected += t.rejected;
                    journalWrites += t.journalWrites;
                    stored += t.storedWrites;
                    batches += t.storeBatches;
                    replayed += t.replayed;
                    acquireP99 = Math.max(acquireP99, t.acquireWaitP99Nanos);
                    queueP99 = Math.max(queueP99, t.queueWaitP99Nanos);
                }
                double hitRatio = hits + misses == 0 ? 0 : (double) hits / (hits + misses);
                lines.printf(
                        Locale.ROOT,
                        "cache:             hit ratio %.1f%% (%d hits, %d misses)%n",
                        100 * hitRatio,
                        hits,
                        misses);
                lines.printf(
                        Locale.ROOT,
                        "write-back:        %d writes journaled, %d stored in %d batches (%.1f writes per store"
                                + " row), %d replayed from journals after restart%n",
                        journalWrites,
                        stored,
                        batches,
                        stored == 0 ? 0.0 : (double) journalWrites / stored,
                        replayed);
                lines.printf(
                        Locale.ROOT,
                        "connection pools:  acquire-wait p99 %s (worst server)%n",
                        ReportWriter.ms(acquireP99 / 1000));
                lines.printf(
                        Locale.ROOT,
                        "worker pools:      %d rejected (HTTP 503), queue-wait p99 %s (worst server)%n",
                        rejected,
                        ReportWriter.ms(queueP99 / 1000));
                List<String> lost = database.lostWrites(load.acknowledged(), load.uncertain());
                lines.printf(
                        Locale.ROOT,
                        "verification:      %d acknowledged writes over %d keys checked against the database%n",
                        load.writesAcknowledged(),
                        load.acknowledged().size());
                lines.println(
                        lost.isEmpty()
                                ? "lost writes: 0"
                                : "lost writes: " + lost.size() + " " + lost.subList(0, Math.min(20, lost.size())));
                report.addAll(List.of(
                        buffer.toString(java.nio.charset.StandardCharsets.UTF_8).split("\n")));
                for (String line : report) {
                    out.println(line);
                }
                Path csv = writer.writeCsv(outDir);
                Path html = writer.writeHtml(outDir, report);
                out.println("series (CSV):      " + csv);
                out.println("charts (HTML):     " + html);
                return new Result(
                        series,
                        phases,
                        names,
                        lost,
                        load.writesAcknowledged(),
                        load.acknowledged().size(),
                        hitRatio,
                        report);
            } finally {
                for (AppServer s : servers) {
                    s.close();
                }
            }
        }
    }

    private static String ejections(EndpointStats e) {
        return e.endpoint().id() + "=" + e.ejections();
    }

    static int serverIndex(String name) {
        if (name.startsWith("app-")) {
            try {
                return Integer.parseInt(name.substring(4));
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }

    private static void progress(PrintStream out, RunSeries series, long start) {
        int now = (int) ((System.nanoTime() - start) / 1_000_000_000L);
        int last = Math.min(series.seconds() - 1, Math.max(0, now - 1));
        long requests = 0;
        long errors = 0;
        for (int s = 0; s <= last; s++) {
            requests += series.requests(s);
            errors += series.errors(s);
        }
        long rate = series.requests(last);
        String p99 = ReportWriter.ms(series.latency(last).getValueAtPercentile(99));
        out.printf(
                Locale.ROOT,
                "\relapsed %3ds | requests %8d | %6d req/s | p99 %9s | errors %d   ",
                now,
                requests,
                rate,
                p99,
                errors);
        out.flush();
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
