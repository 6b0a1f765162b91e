package io.infrablocks.cache.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.infrablocks.cache.CacheStoreException;
import io.infrablocks.cache.Codec;
import io.infrablocks.testing.DriverManagerDataSource;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The behaviour every dialect of {@link JdbcCacheStore} must show; subclasses supply the database. */
abstract class JdbcCacheStoreContract {

    static final String TABLE = "wb_store_test";

    abstract DataSource dataSource();

    abstract String createTable();

    abstract JdbcCacheStore.Dialect expectedDialect();

    JdbcCacheStore<String, String> store;

    @BeforeEach
    void createFreshTable() throws SQLException {
        try (Connection c = dataSource().getConnection();
                Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + TABLE);
            s.execute(createTable());
        }
        store = JdbcCacheStore.builder(dataSource(), String.class, Codec.utf8())
                .table(TABLE)
                .keyColumn("k")
                .valueColumn("v")
                .build();
    }

    Map<String, String> rows() throws SQLException {
        Map<String, String> rows = new LinkedHashMap<>();
        try (Connection c = dataSource().getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT k, v FROM " + TABLE + " ORDER BY k")) {
            while (rs.next()) {
                rows.put(rs.getString(1), new String(rs.getBytes(2), StandardCharsets.UTF_8));
            }
        }
        return rows;
    }

    @Test
    void detectsTheDialect() {
        assertEquals(expectedDialect(), store.dialect());
    }

    @Test
    void upsertsInsertAndReplaceInOneBatch() throws SQLException {
        store.writeAll(Map.of("a", "1", "b", "2"));
        store.writeAll(Map.of("b", "3", "c", "4"));
        assertEquals(Map.of("a", "1", "b", "3", "c", "4"), rows());
        assertEquals("3", store.load("b"));
        assertNull(store.load("missing"));
        assertEquals(Map.of("a", "1", "c", "4"), store.loadAll(List.of("a", "missing", "c")));
    }

    @Test
    void loadAllReadsMoreKeysThanOneInList() {
        Map<String, String> many = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 1200; i++) {
            many.put("k" + i, "v" + i);
            keys.add("k" + i);
        }
        store.writeAll(many);
        assertEquals(many, store.loadAll(keys));
    }

    @Test
    void deletesPresentAndAbsentKeys() throws SQLException {
        store.writeAll(Map.of("a", "1", "b", "2"));
        store.deleteAll(List.of("a", "never-there"));
        assertEquals(Map.of("b", "2"), rows());
    }

    @Test
    void aRowTheDatabaseRejectsFailsOnlyItsKey() throws SQLException {
        Map<String, String> batch = new LinkedHashMap<>();
        batch.put("a", "1");
        batch.put("too-long", "x".repeat(100)); // violates CHECK (octet_length(v) <= 64)
        batch.put("c", "3");
        CacheStoreException e = assertThrows(CacheStoreException.class, () -> store.writeAll(batch));
        assertTrue(e.isPartial());
        assertEquals(Set.of("too-long"), e.failedKeys());
        assertTrue(e.getMessage().startsWith("writing 1 of 3 keys in " + TABLE + " failed: "), e.getMessage());
        assertEquals(Map.of("a", "1", "c", "3"), rows());
    }

    @Test
    void anUnreachableDatabaseFailsTheWholeCall() {
        DataSource down = new DownDataSource();
        JdbcCacheStore<String, String> unreachable = JdbcCacheStore.builder(down, String.class, Codec.utf8())
                .table(TABLE)
                .dialect(expectedDialect())
                .build();
        CacheStoreException e =
                assertThrows(CacheStoreException.class, () -> unreachable.writeAll(Map.of("a", "1", "b", "2")));
        assertFalse(e.isPartial());
        assertEquals("writing 2 keys in " + TABLE + " failed: connection refused", e.getMessage());
    }

    @Test
    void identifiersAreValidated() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> JdbcCacheStore.builder(dataSource(), String.class, Codec.utf8())
                        .table("t; DROP TABLE x")
                        .build());
        assertEquals(
                "table must be a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*) but was 't; DROP TABLE x'",
                e.getMessage());
    }

    /** A data source over {@link java.sql.DriverManager} (tests only: no pooling). */
    static class UrlDataSource extends DriverManagerDataSource {
        UrlDataSource(String url, String user, String password) {
            super(url, user, password);
        }
    }

    /** A data source whose database is down. */
    static class DownDataSource extends DriverManagerDataSource {
        DownDataSource() {
            super("jdbc:down:", "", "");
        }

        @Override
        public Connection getConnection() throws SQLException {
            throw new SQLNonTransientConnectionException("connection refused", "08001");
        }
    }
}
