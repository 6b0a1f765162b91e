package io.infrablocks.cache.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.infrablocks.cache.Codec;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Versioned writes: the newest version wins whatever order the writes arrive in. */
abstract class JdbcCacheStoreVersionContract {

    static final String TABLE = "wb_versioned_test";

    /** Values look like {@code <version>:<payload>}. */
    static long version(String value) {
        return Long.parseLong(value.substring(0, value.indexOf(':')));
    }

    JdbcCacheStore<String, String> store;

    abstract DataSource dataSource();

    abstract String binaryType();

    @BeforeEach
    void createTable() throws SQLException {
        try (Connection c = dataSource().getConnection();
                Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + TABLE);
            s.execute("CREATE TABLE " + TABLE + " (k VARCHAR(100) PRIMARY KEY, v " + binaryType()
                    + " NOT NULL, ver BIGINT NOT NULL)");
        }
        store = JdbcCacheStore.builder(dataSource(), String.class, Codec.utf8())
                .table(TABLE)
                .versionColumn("ver", JdbcCacheStoreVersionContract::version)
                .build();
    }

    @Test
    void aStaleWriteChangesNothingAndANewerOneReplaces() {
        store.writeAll(Map.of("a", "2:two"));
        store.writeAll(Map.of("a", "1:one"));
        assertEquals("2:two", store.load("a"));
        store.writeAll(Map.of("a", "3:three"));
        assertEquals("3:three", store.load("a"));
    }

    @Test
    void batchesFromTwoWritersInEitherOrderEndAtTheNewestState() {
        Map<String, String> writerA = new LinkedHashMap<>();
        Map<String, String> writerB = new LinkedHashMap<>();
        for (int i = 0; i < 50; i++) {
            // Writer A holds the newer version of even keys, writer B of odd keys.
            writerA.put("k" + i, (i % 2 == 0 ? 10 : 5) + ":a" + i);
            writerB.put("k" + i, (i % 2 == 0 ? 5 : 10) + ":b" + i);
        }
        store.writeAll(writerB);
        store.writeAll(writerA);
        List<String> keys = List.copyOf(writerA.keySet());
        Map<String, String> stored = store.loadAll(keys);
        for (int i = 0; i < 50; i++) {
            assertEquals(i % 2 == 0 ? "10:a" + i : "10:b" + i, stored.get("k" + i));
        }
    }

    @Test
    void rejectsAMalformedVersionColumn() {
        var e = assertThrows(
                IllegalArgumentException.class, () -> JdbcCacheStore.builder(dataSource(), String.class, Codec.utf8())
                        .table(TABLE)
                        .versionColumn("ver; drop", JdbcCacheStoreVersionContract::version)
                        .build());
        assertEquals(
                "versionColumn must be a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*) but was 'ver; drop'",
                e.getMessage());
    }
}
