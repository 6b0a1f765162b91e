package io.infrablocks.examples;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * The demo's command-line options, parsed and validated.
 *
 * @param duration how long the load runs
 * @param warmUp unmeasured load before the run
 * @param clients concurrent load-generator clients
 * @param servers application servers
 * @param keys distinct keys the clients use (Zipf-distributed)
 * @param jdbcUrl the database, or empty for the embedded H2
 * @param jdbcUser the database user
 * @param jdbcPassword the database password
 * @param outDir where the CSV series and HTML charts go
 * @param seed the load generator's random seed
 * @param quiet no live progress line
 */
record DemoOptions(
        Duration duration,
        Duration warmUp,
        int clients,
        int servers,
        int keys,
        Optional<String> jdbcUrl,
        String jdbcUser,
        String jdbcPassword,
        Path outDir,
        long seed,
        boolean quiet) {

    static final String USAGE = String.join(
            "\n",
            "Usage: java -jar infra-examples/target/infra-demo.jar [options]",
            "",
            "Runs a three-tier system on loopback: a load balancer (infra-lb) in front of application servers",
            "(worker pool, write-back cache, journal, connection pool) over a database, under load, with",
            "scripted faults: at 1/3 of the run one server turns slow (+200 ms), at 1/2 another is stopped,",
            "at 3/4 it restarts. Prints a report and writes a CSV series and an HTML page of charts.",
            "",
            "Options:",
            "  --duration D      how long the load runs, e.g. 30s, 2m, 1500ms (default 60s)",
            "  --warm-up D       unmeasured load before the run (default 2s; 0s for none)",
            "  --clients N       concurrent clients (default 16)",
            "  --servers N       application servers, at least 2 (default 3)",
            "  --keys N          distinct keys, Zipf-distributed (default 10000)",
            "  --jdbc-url URL    run against this database (e.g. jdbc:postgresql://127.0.0.1/db) instead of H2",
            "  --jdbc-user U     database user (default empty)",
            "  --jdbc-password P database password (default empty)",
            "  --out DIR         where demo.csv and demo.html go (default infra-demo-out)",
            "  --seed N          random seed of the load generator (default 42)",
            "  --quiet           no live progress line",
            "  --help            this text");

    /** A bad command line: the message says what and why. */
    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /**
     * Parses the arguments.
     *
     * @param args the command line
     * @return the options, or empty when --help was asked
     * @throws UsageException naming the bad option and value
     */
    static Optional<DemoOptions> parse(String... args) {
        Duration duration = Duration.ofSeconds(60);
        Duration warmUp = Duration.ofSeconds(2);
        int clients = 16;
        int servers = 3;
        int keys = 10_000;
        String jdbcUrl = null;
        String user = "";
        String password = "";
        Path out = Path.of("infra-demo-out");
        long seed = 42;
        boolean quiet = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            switch (name) {
                case "--help", "-h" -> {
                    return Optional.empty();
                }
                case "--quiet" -> quiet = true;
                case "--duration",
                        "--warm-up",
                        "--clients",
                        "--servers",
                        "--keys",
                        "--jdbc-url",
                        "--jdbc-user",
                        "--jdbc-password",
                        "--out",
                        "--seed" -> {
                    if (value == null) {
                        if (i + 1 >= args.length) {
                            throw new UsageException(name + " needs a value");
                        }
                        value = args[++i];
                    }
                    switch (name) {
                        case "--duration" -> duration = parseDuration(value);
                        case "--warm-up" -> warmUp = "0".equals(value.trim()) || "0s".equals(value.trim())
                                ? Duration.ZERO
                                : parseDuration(value).withNanos(0);
                        case "--clients" -> clients = parseInt(name, value, 1, 10_000);
                        case "--servers" -> servers = parseInt(name, value, 2, 32);
                        case "--keys" -> keys = parseInt(name, value, 1, 10_000_000);
                        case "--jdbc-url" -> {
                            if (!value.startsWith("jdbc:")) {
                                throw new UsageException("--jdbc-url must start with jdbc: but was '" + value + "'");
                            }
                            jdbcUrl = value;
                        }
                        case "--jdbc-user" -> user = value;
                        case "--jdbc-password" -> password = value;
                        case "--out" -> out = Path.of(value);
                        case "--seed" -> seed = parseLong(name, value);
                        default -> throw new AssertionError(name);
                    }
                }
                default -> throw new UsageException("unknown option '" + arg + "'");
            }
        }
        return Optional.of(new DemoOptions(
                duration,
                warmUp,
                clients,
                servers,
                keys,
                Optional.ofNullable(jdbcUrl),
                user,
                password,
                out,
                seed,
                quiet));
    }

    /**
     * Parses {@code 30s}, {@code 2m}, {@code 1500ms}, {@code 1h} or a bare number of seconds.
     *
     * @param text the duration
     * @return the duration, at least one second
     */
    static Duration parseDuration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            Duration d;
            if (t.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            } else if (t.endsWith("s")) {
                d = Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
            } else if (t.endsWith("m")) {
                d = Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
            } else if (t.endsWith("h")) {
                d = Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1)));
            } else {
                d = Duration.ofSeconds(Long.parseLong(t));
            }
            if (d.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new UsageException("--duration must be at least 1s but was '" + text + "'");
            }
            return d;
        } catch (NumberFormatException e) {
            throw new UsageException("--duration must look like 30s, 2m or 1500ms but was '" + text + "'");
        }
    }

    private static int parseInt(String name, String value, int min, int max) {
        try {
            int v = Integer.parseInt(value.trim());
            if (v < min || v > max) {
                throw new UsageException(name + " must be in [" + min + ", " + max + "] but was " + v);
            }
            return v;
        } catch (NumberFormatException e) {
            throw new UsageException(name + " must be a whole number but was '" + value + "'");
        }
    }

    private static long parseLong(String name, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(name + " must be a whole number but was '" + value + "'");
        }
    }
}
