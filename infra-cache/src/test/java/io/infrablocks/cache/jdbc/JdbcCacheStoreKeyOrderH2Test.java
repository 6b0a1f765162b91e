package io.infrablocks.cache.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.infrablocks.cache.Codec;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** Batches bind their keys in key order, so concurrent writers lock rows in one order and cannot deadlock. */
class JdbcCacheStoreKeyOrderH2Test {

    private final List<Object> boundKeys = new ArrayList<>();

    private final DataSource recording =
            new JdbcCacheStoreContract.UrlDataSource("jdbc:h2:mem:wb_key_order;DB_CLOSE_DELAY=-1", "", "") {
                @Override
                public Connection getConnection() throws SQLException {
                    Connection real = super.getConnection();
                    return (Connection) Proxy.newProxyInstance(
                            getClass().getClassLoader(), new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                                Object result = method.invoke(real, args);
                                if (result instanceof PreparedStatement ps
                                        && method.getName().equals("prepareStatement")) {
                                    return recordKeys(ps);
                                }
                                return result;
                            });
                }
            };

    private PreparedStatement recordKeys(PreparedStatement real) {
        return (PreparedStatement) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {PreparedStatement.class}, (proxy, method, args) -> {
                    if (method.getName().equals("setObject") && (Integer) args[0] == 1) {
                        boundKeys.add(args[1]);
                    }
                    return method.invoke(real, args);
                });
    }

    @Test
    void writesAndDeletesBindKeysInKeyOrder() throws SQLException {
        try (Connection c = recording.getConnection();
                Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS wb_key_order");
            s.execute("CREATE TABLE wb_key_order (k VARCHAR(20) PRIMARY KEY, v VARBINARY(100) NOT NULL)");
        }
        JdbcCacheStore<String, String> store = JdbcCacheStore.builder(recording, String.class, Codec.utf8())
                .table("wb_key_order")
                .build();
        Map<String, String> batch = new LinkedHashMap<>();
        for (String k : List.of("m", "c", "x", "a", "q")) {
            batch.put(k, "v" + k);
        }
        boundKeys.clear();
        store.writeAll(batch);
        assertEquals(List.of("a", "c", "m", "q", "x"), boundKeys);
        boundKeys.clear();
        store.deleteAll(List.of("x", "a", "m"));
        assertEquals(List.of("a", "m", "x"), boundKeys);
        assertEquals(Map.of("c", "vc", "q", "vq"), store.loadAll(List.of("a", "c", "m", "q", "x")));
    }
}
