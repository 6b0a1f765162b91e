package io.infrablocks.cache.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.infrablocks.cache.CacheBuilder;
import io.infrablocks.cache.WriteBackCache;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class JdbcCacheStoreH2Test extends JdbcCacheStoreContract {

    private static final DataSource DATA_SOURCE = new UrlDataSource("jdbc:h2:mem:wb_store;DB_CLOSE_DELAY=-1", "", "");

    @Override
    DataSource dataSource() {
        return DATA_SOURCE;
    }

    @Override
    String createTable() {
        return "CREATE TABLE " + TABLE + " (k VARCHAR(100) PRIMARY KEY, v VARBINARY(1000) NOT NULL"
                + " CHECK (OCTET_LENGTH(v) <= 64))";
    }

    @Override
    JdbcCacheStore.Dialect expectedDialect() {
        return JdbcCacheStore.Dialect.H2;
    }

    @Test
    void usesMerge() {
        assertEquals("MERGE INTO wb_store_test (k, v) KEY (k) VALUES (?, ?)", store.upsertSql());
    }

    @Test
    void aWriteBackCacheOverH2StoresTheLastWriteOfEveryKey() throws Exception {
        WriteBackCache<String, String> cache = CacheBuilder.newBuilder()
                .maximumSize(100)
                .writeBack(store)
                .name("h2")
                .maxDelay(Duration.ofMillis(5))
                .batchSize(50)
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
        assertEquals(expected, rowsUnordered());
        cache.close();
        assertEquals(3000, cache.metrics().writes());
    }

    private Map<String, String> rowsUnordered() throws SQLException {
        return new HashMap<>(rows());
    }
}
