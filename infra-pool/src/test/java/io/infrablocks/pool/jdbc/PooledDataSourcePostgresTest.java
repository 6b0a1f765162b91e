package io.infrablocks.pool.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.infrablocks.pool.Await;
import io.infrablocks.testing.PostgresDatabase;
import io.infrablocks.testing.RequiresPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Against the real PostgreSQL: normal use, backends terminated by the server, an idle session killed
 * server-side, a server restart. Each pool sets its own application_name so that the server's
 * pg_stat_activity shows exactly this pool's sessions (other helpers share the server).
 */
@RequiresPostgres
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PooledDataSourcePostgresTest {

    private static final AtomicInteger APP = new AtomicInteger();

    private static String appName() {
        return "infra-pool-test-" + ProcessHandle.current().pid() + "-" + APP.incrementAndGet();
    }

    private static PooledDataSource pool(
            PostgresDatabase db, String app, Consumer<io.infrablocks.pool.PoolBuilder<?>> settings) {
        String sep = db.url().contains("?") ? "&" : "?";
        return PooledDataSource.builder()
                .url(db.url() + sep + "ApplicationName=" + app + "&connectTimeout=5")
                .user(db.user())
                .password(db.password())
                .validationTimeout(Duration.ofSeconds(2))
                .pool(p -> {
                    p.name(app)
                            .acquireTimeout(Duration.ofSeconds(10))
                            .creationRetryBackoff(Duration.ofMillis(50), Duration.ofMillis(500));
                    settings.accept(p);
                })
                .build();
    }

    private static int backendPid(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void terminate(PostgresDatabase db, int pid) throws SQLException {
        try (Connection admin = db.connect();
                PreparedStatement ps = admin.prepareStatement("select pg_terminate_backend(?)")) {
            ps.setInt(1, pid);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertTrue(rs.getBoolean(1), "terminated backend " + pid);
            }
        }
    }

    /** Sessions the server has for {@code app}, or -1 when the server cannot be reached right now. */
    private static int serverSessions(PostgresDatabase db, String app) {
        try (Connection admin = db.connect();
                PreparedStatement ps =
                        admin.prepareStatement("select count(*) from pg_stat_activity where application_name = ?")) {
            ps.setString(1, app);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        } catch (SQLException e) {
            return -1;
        }
    }

    @Test
    void normalUseFromManyThreads(PostgresDatabase db) throws Exception {
        String app = appName();
        String table = "pool_items_" + ProcessHandle.current().pid();
        try (PooledDataSource ds = pool(db, app, p -> p.maxSize(4))) {
            try (Connection c = ds.getConnection();
                    Statement s = c.createStatement()) {
                s.execute("drop table if exists " + table);
                s.execute("create table " + table + "(id int primary key)");
            }
            ExecutorService exec = Executors.newFixedThreadPool(8);
            try {
                List<Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    int base = t * 100;
                    fs.add(exec.submit(() -> {
                        for (int i = 0; i < 25; i++) {
                            try (Connection c = ds.getConnection();
                                    PreparedStatement ps = c.prepareStatement("insert into " + table + " values (?)")) {
                                c.setAutoCommit(false);
                                ps.setInt(1, base + i);
                                ps.executeUpdate();
                                c.commit();
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : fs) {
                    f.get(30, TimeUnit.SECONDS);
                }
            } finally {
                exec.shutdownNow();
            }
            try (Connection c = ds.getConnection();
                    Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("select count(*) from " + table)) {
                rs.next();
                assertEquals(200, rs.getInt(1));
                assertTrue(c.getAutoCommit(), "auto-commit restored");
                s.execute("drop table " + table);
            }
            assertTrue(ds.metrics().total() <= 4);
            // A creation requested while the threads waited may still be connecting: wait until it lands.
            Await.until(
                    "every server session is in the pool", () -> ds.metrics().total() == serverSessions(db, app));
            assertTrue(ds.metrics().total() <= 4);
        }
        Await.until("sessions closed", () -> serverSessions(db, app) == 0);
    }

    @Test
    void terminatedBackendIsDiscardedAndReplaced(PostgresDatabase db) throws SQLException {
        String app = appName();
        try (PooledDataSource ds = pool(db, app, p -> p.maxSize(2).validateAfterIdle(Duration.ofDays(1)))) {
            int pid;
            try (Connection c = ds.getConnection()) {
                pid = backendPid(c);
            }
            terminate(db, pid);
            // The pool has not checked it yet: the borrower sees the fatal error (57P01 / 08xxx) ...
            try (Connection c = ds.getConnection()) {
                SQLException e = assertThrows(SQLException.class, () -> backendPid(c));
                assertTrue(SqlStates.isFatal(e), "fatal: " + e.getSQLState() + " " + e);
            }
            // ... and close() discarded it instead of returning it.
            try (Connection c = ds.getConnection()) {
                assertNotEquals(pid, backendPid(c));
            }
            assertEquals(1, ds.metrics().destroyed());
            assertEquals(1, ds.metrics().total());
        }
    }

    @Test
    void terminatedBackendIsCaughtByValidationBeforeLending(PostgresDatabase db) throws SQLException {
        String app = appName();
        try (PooledDataSource ds = pool(db, app, p -> p.maxSize(2).validateAfterIdle(Duration.ZERO))) {
            int pid;
            try (Connection c = ds.getConnection()) {
                pid = backendPid(c);
            }
            terminate(db, pid);
            try (Connection c = ds.getConnection()) {
                assertNotEquals(pid, backendPid(c), "the borrower never sees the dead session");
            }
            assertEquals(1, ds.metrics().validationFailures());
        }
    }

    @Test
    void idleSessionKilledServerSideIsReplacedByKeepalive(PostgresDatabase db) throws SQLException {
        String app = appName();
        try (PooledDataSource ds = pool(db, app, p -> p.maxSize(2)
                .minIdle(1)
                .validateAfterIdle(Duration.ofDays(1))
                .keepalive(Duration.ofMillis(100))
                .housekeepingPeriod(Duration.ofMillis(50)))) {
            int pid;
            try (Connection c = ds.getConnection()) {
                pid = backendPid(c);
            }
            terminate(db, pid);
            Await.until("keepalive found the dead session", () -> ds.metrics().validationFailures() >= 1);
            Await.until("replaced", () -> ds.metrics().idle() == 1);
            try (Connection c = ds.getConnection()) {
                assertNotEquals(pid, backendPid(c));
            }
            assertEquals(0, ds.metrics().timeouts());
        }
    }

    @Test
    void poolRecoversFromAServerRestartWithoutLeakingConnections(PostgresDatabase db) throws Exception {
        Assumptions.assumeTrue(db.restartCommand().isPresent(), "INFRA_PG_RESTART_CMD not set");
        String app = appName();
        try (PooledDataSource ds = pool(db, app, p -> p.maxSize(3)
                .minIdle(2)
                .validateAfterIdle(Duration.ofMillis(100))
                .acquireTimeout(Duration.ofSeconds(5)))) {
            List<Connection> held = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                held.add(ds.getConnection());
            }
            for (Connection c : held) {
                backendPid(c);
            }
            held.remove(2).close(); // one idle, two leased across the restart
            db.restart();
            for (Connection c : held) {
                assertThrows(SQLException.class, () -> backendPid(c)); // their sessions died
                c.close(); // fatal: discarded
            }
            // The pool recovers: a few attempts may meet the dead idle connection or a starting server.
            int pid = -1;
            for (int attempt = 0; attempt < 20 && pid < 0; attempt++) {
                try (Connection c = ds.getConnection()) {
                    pid = backendPid(c);
                } catch (SQLException e) {
                    // retried: dead sessions are discarded as they are met
                }
            }
            assertTrue(pid > 0, "recovered after the restart");
            Await.until(
                    "server sessions == pool total",
                    () -> serverSessions(db, app) == ds.metrics().total());
            assertTrue(ds.metrics().total() <= 3);
            assertEquals(0, ds.metrics().active());
        }
        Await.until("no session left after close", () -> serverSessions(db, app) == 0);
    }
}
