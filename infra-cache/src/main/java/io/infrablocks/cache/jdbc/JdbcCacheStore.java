package io.infrablocks.cache.jdbc;

import io.infrablocks.cache.CacheStore;
import io.infrablocks.cache.CacheStoreException;
import io.infrablocks.cache.Codec;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.ToLongFunction;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * A {@link CacheStore} over one table of a relational database, through a {@link DataSource}.
 *
 * <p>The table has a key column (primary key or unique) and a value column of a binary type ({@code BYTEA} in
 * PostgreSQL, {@code VARBINARY}/{@code BLOB} in H2) holding the {@link Codec}'s bytes. Keys are bound with {@link
 * PreparedStatement#setObject} and read with {@link ResultSet#getObject(int, Class)}, so a {@code String} key
 * fits a text column and a {@code Long} key a {@code BIGINT} column.
 *
 * <pre>{@code
 * CREATE TABLE wb_items (k VARCHAR(200) PRIMARY KEY, v BYTEA NOT NULL);
 *
 * CacheStore<String, String> store = JdbcCacheStore.builder(dataSource, String.class, Codec.utf8())
 *         .table("wb_items").keyColumn("k").valueColumn("v")
 *         .build();
 * }</pre>
 *
 * <p>Writes: {@link #writeAll} runs one single-statement upsert per entry ({@code INSERT ... ON CONFLICT (k) DO
 * UPDATE} in PostgreSQL, {@code MERGE INTO ... KEY (k)} in H2) as one JDBC batch in one transaction;
 * {@link #deleteAll} likewise with {@code DELETE}. When a batch fails for a reason other than the connection
 * (SQLState class 08, {@link SQLTransientException}, {@link SQLRecoverableException}), the rows are tried one by
 * one (auto-commit) and a partial {@link CacheStoreException} names only the keys that failed, so the write-back
 * cache retries just those.
 *
 * <p>Versioned writes ({@link Builder#versionColumn}): when several writers (say, the write-back caches of
 * several application servers) store the same key, their batches may reach the database out of order. With a
 * version column the upsert replaces a row only with a strictly newer version ({@code ... DO UPDATE ... WHERE
 * t.ver < EXCLUDED.ver} in PostgreSQL, {@code MERGE ... WHEN MATCHED AND d.ver < s.ver} in H2), so the newest
 * state wins whatever the order; a stale write changes nothing and is not an error. Deletes are not versioned.
 *
 * <p>Thread-safe: every call borrows its own connection from the data source.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class JdbcCacheStore<K, V> implements CacheStore<K, V> {

    /** The SQL dialect of the upsert. */
    public enum Dialect {
        /** {@code INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v}. */
        POSTGRESQL,
        /** {@code MERGE INTO t (k, v) KEY (k) VALUES (?, ?)}. */
        H2
    }

    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?");
    private static final int IN_LIST_CHUNK = 500;

    private final DataSource dataSource;
    private final Class<K> keyType;
    private final Codec<V> valueCodec;
    private final String table;
    private final String keyColumn;
    private final String valueColumn;
    private final Dialect dialect;
    private final ToLongFunction<? super V> versionOf;
    private final String selectOne;
    private final String upsert;
    private final String delete;

    private JdbcCacheStore(Builder<K, V> b, Dialect dialect) {
        this.dataSource = b.dataSource;
        this.keyType = b.keyType;
        this.valueCodec = b.valueCodec;
        this.table = b.table;
        this.keyColumn = b.keyColumn;
        this.valueColumn = b.valueColumn;
        this.dialect = dialect;
        this.versionOf = b.versionOf;
        this.selectOne = "SELECT " + valueColumn + " FROM " + table + " WHERE " + keyColumn + " = ?";
        this.upsert = b.versionColumn == null
                ? upsert(dialect, table, keyColumn, valueColumn)
                : versionedUpsert(dialect, table, keyColumn, valueColumn, b.versionColumn);
        this.delete = "DELETE FROM " + table + " WHERE " + keyColumn + " = ?";
    }

    private static String upsert(Dialect dialect, String table, String k, String v) {
        return dialect == Dialect.POSTGRESQL
                ? "INSERT INTO " + table + " (" + k + ", " + v + ") VALUES (?, ?) ON CONFLICT (" + k
                        + ") DO UPDATE SET " + v + " = EXCLUDED." + v
                : "MERGE INTO " + table + " (" + k + ", " + v + ") KEY (" + k + ") VALUES (?, ?)";
    }

    private static String versionedUpsert(Dialect dialect, String table, String k, String v, String ver) {
        return dialect == Dialect.POSTGRESQL
                ? "INSERT INTO " + table + " AS d (" + k + ", " + v + ", " + ver + ") VALUES (?, ?, ?) ON CONFLICT ("
                        + k + ") DO UPDATE SET " + v + " = EXCLUDED." + v + ", " + ver + " = EXCLUDED." + ver
                        + " WHERE d." + ver + " < EXCLUDED." + ver
                : "MERGE INTO " + table + " AS d USING (VALUES (?, ?, ?)) AS s(" + k + ", " + v + ", " + ver
                        + ") ON d." + k + " = s." + k + " WHEN MATCHED AND d." + ver + " < s." + ver
                        + " THEN UPDATE SET " + v + " = s." + v + ", " + ver + " = s." + ver
                        + " WHEN NOT MATCHED THEN INSERT (" + k + ", " + v + ", " + ver + ") VALUES (s." + k + ", s."
                        + v + ", s." + ver + ")";
    }

    /**
     * Starts a builder.
     *
     * @param dataSource where connections come from (a pool, ideally)
     * @param keyType the key class, for reading keys back ({@link #loadAll})
     * @param valueCodec encodes values into the binary value column
     * @param <K> the key type
     * @param <V> the value type
     * @return the builder
     */
    public static <K, V> Builder<K, V> builder(DataSource dataSource, Class<K> keyType, Codec<V> valueCodec) {
        return new Builder<>(dataSource, keyType, valueCodec);
    }

    /**
     * The dialect in use.
     *
     * @return the dialect
     */
    public Dialect dialect() {
        return dialect;
    }

    /**
     * The upsert statement in use.
     *
     * @return the SQL
     */
    public String upsertSql() {
        return upsert;
    }

    @Override
    public V load(K key) {
        Objects.requireNonNull(key, "key");
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(selectOne)) {
            ps.setObject(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? valueCodec.decode(rs.getBytes(1)) : null;
            }
        } catch (SQLException e) {
            throw new CacheStoreException("loading key " + key + " from " + table + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public Map<K, V> loadAll(Collection<? extends K> keys) {
        Objects.requireNonNull(keys, "keys");
        Map<K, V> result = new LinkedHashMap<>();
        if (keys.isEmpty()) {
            return result;
        }
        List<K> list = new ArrayList<>(keys);
        try (Connection c = dataSource.getConnection()) {
            for (int from = 0; from < list.size(); from += IN_LIST_CHUNK) {
                List<K> chunk = list.subList(from, Math.min(list.size(), from + IN_LIST_CHUNK));
                StringBuilder sql = new StringBuilder("SELECT ")
                        .append(keyColumn)
                        .append(", ")
                        .append(valueColumn)
                        .append(" FROM ")
                        .append(table)
                        .append(" WHERE ")
                        .append(keyColumn)
                        .append(" IN (");
                for (int i = 0; i < chunk.size(); i++) {
                    sql.append(i == 0 ? "?" : ", ?");
                }
                sql.append(')');
                try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                    for (int i = 0; i < chunk.size(); i++) {
                        ps.setObject(i + 1, chunk.get(i));
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            result.put(rs.getObject(1, keyType), valueCodec.decode(rs.getBytes(2)));
                        }
                    }
                }
            }
        } catch (SQLException e) {
            throw new CacheStoreException(
                    "loading " + keys.size() + " keys from " + table + " failed: " + e.getMessage(), e);
        }
        return result;
    }

    @Override
    public void writeAll(Map<? extends K, ? extends V> entries) {
        Objects.requireNonNull(entries, "entries");
        if (entries.isEmpty()) {
            return;
        }
        List<K> keys = new ArrayList<>(entries.size());
        List<byte[]> values = new ArrayList<>(entries.size());
        long[] versions = versionOf == null ? null : new long[entries.size()];
        for (Map.Entry<? extends K, ? extends V> e : inKeyOrder(entries.entrySet())) {
            if (versions != null) {
                versions[keys.size()] = versionOf.applyAsLong(e.getValue());
            }
            keys.add(e.getKey());
            values.add(valueCodec.encode(e.getValue()));
        }
        execute("writing", upsert, keys, values, versions);
    }

    @Override
    public void deleteAll(Collection<? extends K> keys) {
        Objects.requireNonNull(keys, "keys");
        if (keys.isEmpty()) {
            return;
        }
        List<K> ordered = new ArrayList<>(keys);
        sortIfComparable(ordered, k -> k);
        execute("deleting", delete, ordered, null, null);
    }

    private void execute(String what, String sql, List<K> keys, List<byte[]> values, long[] versions) {
        SQLException batchFailure;
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            try {
                c.setAutoCommit(false);
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    for (int i = 0; i < keys.size(); i++) {
                        bind(
                                ps,
                                keys.get(i),
                                values == null ? null : values.get(i),
                                versions == null ? null : versions[i]);
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                c.commit();
                return;
            } catch (SQLException e) {
                batchFailure = e;
                rollbackQuietly(c, e);
            } finally {
                restoreAutoCommit(c, autoCommit);
            }
            if (isConnectionFailure(batchFailure)) {
                throw whole(what, keys.size(), batchFailure);
            }
            // Isolate the failing rows: one statement each, auto-commit.
            List<K> failed = new ArrayList<>();
            SQLException first = null;
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                c.setAutoCommit(true);
                for (int i = 0; i < keys.size(); i++) {
                    try {
                        bind(
                                ps,
                                keys.get(i),
                                values == null ? null : values.get(i),
                                versions == null ? null : versions[i]);
                        ps.executeUpdate();
                    } catch (SQLException e) {
                        if (isConnectionFailure(e)) {
                            throw e;
                        }
                        failed.add(keys.get(i));
                        if (first == null) {
                            first = e;
                        }
                    }
                }
            } finally {
                restoreAutoCommit(c, autoCommit);
            }
            if (!failed.isEmpty()) {
                throw CacheStoreException.partial(
                        what + " " + failed.size() + " of " + keys.size() + " keys in " + table + " failed: "
                                + first.getMessage(),
                        failed,
                        first);
            }
        } catch (SQLException e) {
            throw whole(what, keys.size(), e);
        }
    }

    /**
     * Concurrent batches that lock the same rows in different orders deadlock each other (PostgreSQL 40P01, H2
     * 40001); writing every batch in key order, when keys are comparable, gives all writers one lock order.
     */
    private static <E> List<E> inKeyOrder(java.util.Collection<E> entries) {
        List<E> list = new ArrayList<>(entries);
        @SuppressWarnings("unchecked")
        java.util.function.Function<E, Object> key = e -> ((Map.Entry<Object, ?>) e).getKey();
        sortIfComparable(list, key);
        return list;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static <E> void sortIfComparable(List<E> list, java.util.function.Function<E, Object> key) {
        if (list.size() < 2 || !(key.apply(list.get(0)) instanceof Comparable)) {
            return;
        }
        List<E> sorted = new ArrayList<>(list); // a failed sort may leave a list scrambled: sort a copy
        try {
            sorted.sort((a, b) -> ((Comparable) key.apply(a)).compareTo(key.apply(b)));
        } catch (ClassCastException mixedKeyTypes) {
            return; // keys of mutually incomparable types: keep the given order
        }
        for (int i = 0; i < sorted.size(); i++) {
            list.set(i, sorted.get(i));
        }
    }

    private static void bind(PreparedStatement ps, Object key, byte[] value, Long version) throws SQLException {
        ps.setObject(1, key);
        if (value != null) {
            ps.setBytes(2, value);
        }
        if (version != null) {
            ps.setLong(3, version);
        }
    }

    private CacheStoreException whole(String what, int count, SQLException e) {
        return new CacheStoreException(what + " " + count + " keys in " + table + " failed: " + e.getMessage(), e);
    }

    private static boolean isConnectionFailure(SQLException e) {
        SQLException cur = e;
        if (cur instanceof BatchUpdateException && cur.getNextException() != null) {
            cur = cur.getNextException();
        }
        String state = cur.getSQLState();
        return cur instanceof SQLTransientException
                || cur instanceof SQLRecoverableException
                || e instanceof SQLTransientException
                || e instanceof SQLRecoverableException
                || (state != null && state.startsWith("08"))
                || (e.getSQLState() != null && e.getSQLState().startsWith("08"));
    }

    private static void rollbackQuietly(Connection c, SQLException cause) {
        try {
            c.rollback();
        } catch (SQLException r) {
            cause.addSuppressed(r);
        }
    }

    private static void restoreAutoCommit(Connection c, boolean autoCommit) {
        try {
            if (!c.isClosed() && c.getAutoCommit() != autoCommit) {
                c.setAutoCommit(autoCommit);
            }
        } catch (SQLException ignored) {
            // The connection is broken; closing it (try-with-resources) is all that is left.
        }
    }

    @Override
    public String toString() {
        return "JdbcCacheStore[" + table + "(" + keyColumn + ", " + valueColumn + "), " + dialect + "]";
    }

    /**
     * Builds a {@link JdbcCacheStore}. Not thread-safe.
     *
     * @param <K> the key type
     * @param <V> the value type
     */
    public static final class Builder<K, V> {
        private final DataSource dataSource;
        private final Class<K> keyType;
        private final Codec<V> valueCodec;
        private String table;
        private String keyColumn = "k";
        private String valueColumn = "v";
        private Dialect dialect;
        private String versionColumn;
        private ToLongFunction<? super V> versionOf;

        private Builder(DataSource dataSource, Class<K> keyType, Codec<V> valueCodec) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
            this.keyType = Objects.requireNonNull(keyType, "keyType");
            this.valueCodec = Objects.requireNonNull(valueCodec, "valueCodec");
        }

        /**
         * The table (optionally {@code schema.table}). Required.
         *
         * @param table a plain SQL identifier
         * @return this builder
         */
        public Builder<K, V> table(String table) {
            this.table = Objects.requireNonNull(table, "table");
            return this;
        }

        /**
         * The key column (a primary key or unique column).
         *
         * @param keyColumn a plain SQL identifier; default {@code k}
         * @return this builder
         */
        public Builder<K, V> keyColumn(String keyColumn) {
            this.keyColumn = Objects.requireNonNull(keyColumn, "keyColumn");
            return this;
        }

        /**
         * The binary value column.
         *
         * @param valueColumn a plain SQL identifier; default {@code v}
         * @return this builder
         */
        public Builder<K, V> valueColumn(String valueColumn) {
            this.valueColumn = Objects.requireNonNull(valueColumn, "valueColumn");
            return this;
        }

        /**
         * Makes writes versioned: the row keeps the version of its value in {@code versionColumn} (a
         * {@code BIGINT}), and a write replaces a row only when its version is strictly greater, so out-of-order
         * writes from several writers cannot bring back an older state.
         *
         * @param versionColumn a plain SQL identifier
         * @param versionOf the version of a value; larger is newer
         * @return this builder
         */
        public Builder<K, V> versionColumn(String versionColumn, ToLongFunction<? super V> versionOf) {
            this.versionColumn = Objects.requireNonNull(versionColumn, "versionColumn");
            this.versionOf = Objects.requireNonNull(versionOf, "versionOf");
            return this;
        }

        /**
         * The dialect; by default detected from the database product name at {@link #build()}.
         *
         * @param dialect the dialect
         * @return this builder
         */
        public Builder<K, V> dialect(Dialect dialect) {
            this.dialect = Objects.requireNonNull(dialect, "dialect");
            return this;
        }

        /**
         * Validates the settings (detecting the dialect with one connection when not set) and builds the store.
         *
         * @return the store
         * @throws IllegalArgumentException for a missing or malformed identifier
         * @throws IllegalStateException when the dialect cannot be detected
         */
        public JdbcCacheStore<K, V> build() {
            if (table == null) {
                throw new IllegalArgumentException("table must be set");
            }
            requireIdentifier("table", table);
            requireIdentifier("keyColumn", keyColumn);
            requireIdentifier("valueColumn", valueColumn);
            if (versionColumn != null) {
                requireIdentifier("versionColumn", versionColumn);
            }
            return new JdbcCacheStore<>(this, dialect != null ? dialect : detect());
        }

        private Dialect detect() {
            try (Connection c = dataSource.getConnection()) {
                DatabaseMetaData md = c.getMetaData();
                String product = md.getDatabaseProductName().toLowerCase(Locale.ROOT);
                if (product.contains("postgres")) {
                    return Dialect.POSTGRESQL;
                }
                if (product.contains("h2")) {
                    return Dialect.H2;
                }
                throw new IllegalStateException("no upsert dialect for database '" + md.getDatabaseProductName()
                        + "': supported are PostgreSQL and H2");
            } catch (SQLException e) {
                throw new IllegalStateException("cannot detect the database dialect: " + e.getMessage(), e);
            }
        }

        private static void requireIdentifier(String setting, String value) {
            if (!IDENTIFIER.matcher(value).matches()) {
                throw new IllegalArgumentException(
                        setting + " must be a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*) but was '" + value + "'");
            }
        }
    }
}
