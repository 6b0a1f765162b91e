package io.infrablocks.examples;

import io.infrablocks.cache.Codec;
import io.infrablocks.cache.jdbc.JdbcCacheStore;
import io.infrablocks.pool.jdbc.PooledDataSource;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The data tier: the embedded H2 database (default) or a PostgreSQL server, holding one key-value table
 * {@code infra_demo_kv(k, v, ver)}. Values look like {@code <version>:<payload>}; the store writes them
 * versioned, so the newest write of a key wins even when two servers' write-back batches arrive out of order.
 */
final class Database implements AutoCloseable {

    static final String TABLE = "infra_demo_kv";

    private final String url;
    private final String user;
    private final String password;
    /** Keeps an in-memory H2 database alive between pools. */
    private final Connection keepAlive;

    private Database(String url, String user, String password) throws SQLException {
        this.url = url;
        this.user = user;
        this.password = password;
        this.keepAlive = DriverManager.getConnection(url, user, password);
        try (Statement s = keepAlive.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + TABLE);
            String binary = url.startsWith("jdbc:postgresql:") ? "BYTEA" : "VARBINARY(256)";
            s.execute("CREATE TABLE " + TABLE + " (k VARCHAR(64) PRIMARY KEY, v " + binary
                    + " NOT NULL, ver BIGINT NOT NULL)");
        }
    }

    static Database embedded() throws SQLException {
        return new Database("jdbc:h2:mem:infra-demo;DB_CLOSE_DELAY=-1", "sa", "");
    }

    static Database connect(String url, String user, String password) throws SQLException {
        return new Database(url, user, password);
    }

    String describe() {
        return url.startsWith("jdbc:h2:") ? "embedded H2 (" + url + ")" : url;
    }

    PooledDataSource pooled(String name) {
        return PooledDataSource.builder()
                .url(url)
                .user(user)
                .password(password)
                .pool(p -> p.name(name)
                        .maxSize(8)
                        .minIdle(2)
                        .acquireTimeout(Duration.ofSeconds(2))
                        .failFast(true))
                .build();
    }

    JdbcCacheStore<String, String> store(PooledDataSource dataSource) {
        return JdbcCacheStore.builder(dataSource, String.class, Codec.utf8())
                .table(TABLE)
                .keyColumn("k")
                .valueColumn("v")
                .versionColumn("ver", Database::version)
                .build();
    }

    /** The version of a demo value {@code <version>:<payload>}. */
    static long version(String value) {
        int colon = value.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("demo values look like <version>:<payload> but was '" + value + "'");
        }
        return Long.parseLong(value.substring(0, colon));
    }

    /**
     * Compares the table with what the clients were told was stored.
     *
     * @param acknowledged the last acknowledged value of every key written
     * @param uncertain per key, a later write whose answer never came (it may or may not have been applied)
     * @return the keys whose row holds neither the acknowledged value nor the later uncertain one
     */
    List<String> lostWrites(Map<String, String> acknowledged, Map<String, String> uncertain) throws SQLException {
        Map<String, String> rows = new HashMap<>();
        try (PreparedStatement ps = keepAlive.prepareStatement("SELECT k, v FROM " + TABLE);
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                rows.put(rs.getString(1), new String(rs.getBytes(2), StandardCharsets.UTF_8));
            }
        }
        List<String> lost = new ArrayList<>();
        acknowledged.forEach((k, v) -> {
            String row = rows.get(k);
            if (!v.equals(row) && (row == null || !row.equals(uncertain.get(k)))) {
                lost.add(k);
            }
        });
        lost.sort(null);
        return lost;
    }

    @Override
    public void close() throws SQLException {
        keepAlive.close();
    }
}
