package io.infrablocks.cache.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.infrablocks.cache.CacheBuilder;
import io.infrablocks.cache.WriteBackCache;
import io.infrablocks.testing.PostgresDatabase;
import io.infrablocks.testing.RequiresPostgres;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@RequiresPostgres
@Timeout(60)
class JdbcCacheStorePostgresTest extends JdbcCacheStoreContract {

    private static DataSource dataSource;

    @BeforeAll
    static void connect(PostgresDatabase database) {
        dataSource = new UrlDataSource(database.url(), database.user(), database.password());
    }

    @Override
    DataSource dataSource() {
        return dataSource;
    }

    @Override
    String createTable() {
        return "CREATE TABLE " + TABLE + " (k VARCHAR(100) PRIMARY KEY, v BYTEA NOT NULL"
                + " CHECK (octet_length(v) <= 64))";
    }

    @Override
    JdbcCacheStore.Dialect expectedDialect() {
        return JdbcCacheStore.Dialect.POSTGRESQL;
    }

    @Test
    void usesInsertOnConflict() {
        assertEquals(
                "INSERT INTO wb_store_test (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v",
                store.upsertSql());
    }

    @Test
    void aWriteBackCacheOverPostgresStoresTheLastWriteOfEveryKey() throws Exception {
        WriteBackCache<String, String> cache = CacheBuilder.newBuilder()
                .maximumSize(100)
                .writeBack(store)
                .name("pg")
                .maxDelay(Duration.ofMillis(5))
                .batchSize(100)
                .writerThreads(2)
                .build();
        Map<String, String> expected = new HashMap<>();
        for (int i = 0; i < 3000; i++) {
            String key = "k" + (i % 500);
            if (i % 7 == 0) {
                cache.delete(key);
                expected.remove(key);
            } else {
                cache.put(key, "v" + i);
                expected.put(key, "v" + i);
            }
        }
        cache.flush().get(30, TimeUnit.SECONDS);
        assertEquals(expected, new HashMap<>(rows()));
        cache.close();
    }
}
