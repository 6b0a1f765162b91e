package io.infrablocks.pool.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.infrablocks.pool.Await;
import io.infrablocks.pool.PoolMetrics;
import io.infrablocks.pool.ResourceCreationException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The JDBC contract against embedded H2: return, reset, fatal errors, exhaustion, fail-fast. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PooledDataSourceH2Test {

    private static final AtomicInteger DB = new AtomicInteger();
    private String url;
    private PooledDataSource ds;

    @BeforeEach
    void setUp() throws SQLException {
        url = "jdbc:h2:mem:pool_h2_" + DB.incrementAndGet() + ";DB_CLOSE_DELAY=-1";
        ds = PooledDataSource.builder()
                .url(url)
                .user("sa")
                .password("")
                .pool(p -> p.name("h2").maxSize(2).acquireTimeout(Duration.ofSeconds(10)))
                .build();
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement()) {
            s.execute("create table pool_items(id int primary key, name varchar(20))");
            s.execute("create schema pool_other");
            s.execute("create alias pool_fail for \"" + H2Functions.class.getName() + ".fail\"");
        }
    }

    @AfterEach
    void tearDown() {
        ds.close(Duration.ZERO);
    }

    private static Connection raw(Connection c) throws SQLException {
        return c.unwrap(org.h2.jdbc.JdbcConnection.class);
    }

    private int count() throws SQLException {
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select count(*) from pool_items")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void connectionsAreReturnedAndReused() throws SQLException {
        Connection first;
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement("insert into pool_items values (?, ?)")) {
            first = raw(c);
            ps.setInt(1, 1);
            ps.setString(2, "one");
            assertEquals(1, ps.executeUpdate());
            assertSame(c, ps.getConnection(), "statements report the pooled connection");
        }
        try (Connection c = ds.getConnection()) {
            assertSame(first, raw(c));
        }
        assertEquals(1, count());
        PoolMetrics m = ds.metrics();
        assertEquals(1, m.total());
        assertEquals(1, m.created());
    }

    @Test
    void uncommittedWorkIsRolledBackAndAutoCommitRestored() throws SQLException {
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.executeUpdate("insert into pool_items values (1, 'lost')");
        }
        assertEquals(0, count());
        try (Connection c = ds.getConnection()) {
            assertTrue(c.getAutoCommit());
        }
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.executeUpdate("insert into pool_items values (3, 'lost too')");
            c.setAutoCommit(false); // same mode: a no-op that must not forget the open transaction
        }
        assertEquals(0, count());
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.executeUpdate("insert into pool_items values (2, 'kept')");
            c.commit();
        }
        assertEquals(1, count());
    }

    @Test
    void changedSettingsAreRestored() throws SQLException {
        int isolation;
        String schema;
        try (Connection c = ds.getConnection()) {
            isolation = c.getTransactionIsolation();
            schema = c.getSchema();
            c.setReadOnly(true);
            c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
            c.setSchema("POOL_OTHER");
            assertEquals("POOL_OTHER", c.getSchema());
        }
        try (Connection c = ds.getConnection()) {
            assertFalse(c.isReadOnly());
            assertEquals(isolation, c.getTransactionIsolation());
            assertEquals(schema, c.getSchema());
        }
    }

    @Test
    void statementsLeftOpenAreClosed() throws SQLException {
        Statement st;
        ResultSet rs;
        try (Connection c = ds.getConnection()) {
            st = c.createStatement();
            rs = st.executeQuery("select 1");
        }
        assertTrue(st.isClosed());
        assertTrue(rs.isClosed());
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseFails() throws SQLException {
        Connection c = ds.getConnection();
        c.close();
        c.close();
        assertTrue(c.isClosed());
        SQLException e = assertThrows(SQLException.class, c::createStatement);
        assertEquals("08003", e.getSQLState());
        assertEquals(1, ds.metrics().idle());
    }

    @Test
    void fatalSqlStateDiscardsTheConnection() throws SQLException {
        Connection broken;
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement()) {
            broken = raw(c);
            SQLException e = assertThrows(SQLException.class, () -> s.executeQuery("select pool_fail('08006')"));
            assertTrue(SqlStates.isFatal(e), "08006 found in the cause chain of " + e);
        }
        Await.until("broken connection closed", () -> {
            try {
                return broken.isClosed();
            } catch (SQLException e) {
                return false;
            }
        });
        try (Connection c = ds.getConnection()) {
            assertNotSame(broken, raw(c));
        }
        assertEquals(1, ds.metrics().destroyed());
    }

    @Test
    void nonFatalErrorKeepsTheConnection() throws SQLException {
        Connection kept;
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement()) {
            kept = raw(c);
            assertThrows(SQLException.class, () -> s.executeQuery("select pool_fail('23505')"));
        }
        try (Connection c = ds.getConnection()) {
            assertSame(kept, raw(c));
        }
    }

    @Test
    void fatalStatesAreRecognised() {
        for (String state : List.of("08000", "08003", "08006", "57P01", "57P02", "57P03")) {
            assertTrue(SqlStates.isFatal(new SQLException("x", state)), state);
        }
        for (String state : List.of("23505", "42P01", "40001", "57014")) {
            assertFalse(SqlStates.isFatal(new SQLException("x", state)), state);
        }
        assertTrue(SqlStates.isFatal(new SQLNonTransientConnectionException("gone")));
    }

    @Test
    void exhaustedPoolThrowsSqlTransientConnectionExceptionWithPoolState() throws SQLException {
        try (PooledDataSource small = PooledDataSource.builder()
                .url(url)
                .user("sa")
                .password("")
                .pool(p -> p.name("orders").maxSize(2).minIdle(2).acquireTimeout(Duration.ofMillis(100)))
                .build()) {
            Await.until("prefilled", () -> small.metrics().idle() == 2);
            try (Connection a = small.getConnection();
                    Connection b = small.getConnection()) {
                SQLTransientConnectionException e =
                        assertThrows(SQLTransientConnectionException.class, small::getConnection);
                assertEquals(
                        "pool 'orders' exhausted: 2 active, 0 idle, 1 waiting, timed out after 100 ms", e.getMessage());
                assertNotSame(a, b);
            }
        }
    }

    @Test
    void unreachableDatabaseFailsFastWithTheConnectError() {
        try (PooledDataSource down = PooledDataSource.builder()
                .url("jdbc:h2:tcp://127.0.0.1:1/nowhere")
                .user("sa")
                .password("")
                .pool(p -> p.name("down").failFast(true).acquireTimeout(Duration.ofSeconds(30)))
                .build()) {
            long start = System.nanoTime();
            SQLNonTransientConnectionException e =
                    assertThrows(SQLNonTransientConnectionException.class, down::getConnection);
            assertInstanceOf(ResourceCreationException.class, e.getCause());
            assertInstanceOf(SQLException.class, e.getCause().getCause());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "failed fast");
            assertThrows(SQLNonTransientConnectionException.class, down::getConnection);
        }
    }

    @Test
    void driverDataSourceAndConcurrentUse() throws Exception {
        // H2's own DataSource, through reflection: its type implements javax.naming.Referenceable,
        // a module the pool does not read.
        Class<?> type = Class.forName("org.h2.jdbcx.JdbcDataSource");
        DataSource h2 = (DataSource) type.getConstructor().newInstance();
        type.getMethod("setURL", String.class).invoke(h2, url);
        type.getMethod("setUser", String.class).invoke(h2, "sa");
        try (PooledDataSource pooled = PooledDataSource.builder()
                .dataSource(h2)
                .pool(p -> p.name("h2ds").maxSize(3).acquireTimeout(Duration.ofSeconds(10)))
                .build()) {
            ExecutorService exec = Executors.newFixedThreadPool(6);
            try {
                List<Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < 6; t++) {
                    int base = t * 1000;
                    fs.add(exec.submit(() -> {
                        for (int i = 0; i < 50; i++) {
                            try (Connection c = pooled.getConnection();
                                    PreparedStatement ps =
                                            c.prepareStatement("insert into pool_items values (?, 'x')")) {
                                ps.setInt(1, base + i);
                                ps.executeUpdate();
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : fs) {
                    f.get(20, TimeUnit.SECONDS);
                }
            } finally {
                exec.shutdownNow();
            }
            assertTrue(pooled.metrics().total() <= 3);
            assertEquals(300, pooled.metrics().acquired());
        }
        assertEquals(300, count());
    }

    @Test
    void builderRejectsBadSettings() {
        assertEquals(
                "exactly one of url and dataSource must be set but was url=null, dataSource=null",
                assertThrows(IllegalArgumentException.class, () -> PooledDataSource.builder()
                                .build())
                        .getMessage());
        assertEquals(
                "maxSize must be > 0 but was 0",
                assertThrows(IllegalArgumentException.class, () -> PooledDataSource.builder()
                                .url(url)
                                .pool(p -> p.maxSize(0))
                                .build())
                        .getMessage());
        assertThrows(SQLFeatureNotSupportedException.class, () -> ds.getConnection("a", "b"));
    }
}
