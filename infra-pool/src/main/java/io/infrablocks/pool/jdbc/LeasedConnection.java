package io.infrablocks.pool.jdbc;

import io.infrablocks.pool.Lease;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection a {@link PooledDataSource} hands out: a hand-written wrapper (no reflection on the
 * connection's own calls) over the pooled physical connection, whose {@link #close()} returns it.
 *
 * <p>It tracks what the borrower changed (auto-commit, read-only, isolation, catalog, schema: "dirty
 * bits", as HikariCP's ProxyConnection does) and whether a transaction may be open, so that returning it
 * costs no round trip in the common case. On close: open statements are closed, uncommitted work is rolled
 * back, changed settings are restored, warnings cleared. A fatal SQLException (connection-level SQLState,
 * see {@link SqlStates#isFatal}) from the connection or any of its statements marks it broken, and close
 * then discards it instead of returning it. Statements are wrapped with {@link Proxy} (their calls cost a
 * reflective dispatch; the hot acquire/release path does not touch them).
 *
 * <p>Not thread-safe, like a JDBC connection; close() is idempotent as JDBC requires.
 */
final class LeasedConnection implements Connection {

    private static final Logger LOG = LoggerFactory.getLogger(LeasedConnection.class);

    private static final int AUTO_COMMIT = 1;
    private static final int READ_ONLY = 2;
    private static final int ISOLATION = 4;
    private static final int CATALOG = 8;
    private static final int SCHEMA = 16;

    private final Lease<PhysicalConnection> lease;
    private final PhysicalConnection physical;
    private final Connection raw;
    private boolean closed;
    private boolean broken;
    private boolean autoCommit;
    private boolean txDirty;
    private int dirty;
    private List<Statement> statements;

    LeasedConnection(Lease<PhysicalConnection> lease) {
        this.lease = lease;
        this.physical = lease.get();
        this.raw = physical.raw;
        this.autoCommit = physical.defaultAutoCommit;
    }

    private Connection open() throws SQLException {
        if (closed) {
            throw new SQLException("connection is closed (returned to pool)", "08003");
        }
        return raw;
    }

    SQLException fatal(SQLException e) {
        if (!broken && SqlStates.isFatal(e)) {
            broken = true;
            LOG.debug("connection marked broken by SQLState {}; it will be discarded on close", e.getSQLState());
        }
        return e;
    }

    void markTransaction() {
        txDirty = true;
    }

    boolean isBroken() {
        return broken;
    }

    // --------------------------------------------------------------------------------------- lifecycle

    @Override
    public void close() throws SQLException {
        if (closed) {
            return;
        }
        closed = true;
        closeStatements();
        if (broken) {
            lease.invalidate();
            return;
        }
        try {
            if (!autoCommit && txDirty) {
                raw.rollback();
            }
            if (dirty != 0) {
                restore();
            }
            raw.clearWarnings();
        } catch (SQLException e) {
            LOG.debug("resetting a returned connection failed; discarding it", e);
            lease.invalidate();
            return;
        }
        lease.close();
    }

    private void restore() throws SQLException {
        if ((dirty & AUTO_COMMIT) != 0 && autoCommit != physical.defaultAutoCommit) {
            raw.setAutoCommit(physical.defaultAutoCommit);
        }
        if ((dirty & READ_ONLY) != 0) {
            raw.setReadOnly(physical.defaultReadOnly);
        }
        if ((dirty & ISOLATION) != 0) {
            raw.setTransactionIsolation(physical.defaultIsolation);
        }
        if ((dirty & CATALOG) != 0 && physical.defaultCatalog != null) {
            raw.setCatalog(physical.defaultCatalog);
        }
        if ((dirty & SCHEMA) != 0 && physical.defaultSchema != null) {
            raw.setSchema(physical.defaultSchema);
        }
    }

    private void closeStatements() {
        List<Statement> list = statements;
        if (list == null || list.isEmpty()) {
            return;
        }
        statements = null; // close() of each proxy calls untrack(): nothing to remove from
        for (Statement s : list) {
            try {
                s.close();
            } catch (SQLException e) {
                fatal(e);
            }
        }
    }

    @Override
    public boolean isClosed() throws SQLException {
        return closed || raw.isClosed();
    }

    @Override
    public void abort(Executor executor) throws SQLException {
        if (closed) {
            return;
        }
        broken = true;
        try {
            raw.abort(executor);
        } finally {
            close();
        }
    }

    // ------------------------------------------------------------------------- tracked state changes

    @Override
    public void setAutoCommit(boolean value) throws SQLException {
        Connection d = open();
        try {
            d.setAutoCommit(value);
        } catch (SQLException e) {
            throw fatal(e);
        }
        if (value != autoCommit) {
            txDirty = false; // a change of mode commits the open transaction (JDBC 4.3, 10.1.1)
        }
        autoCommit = value;
        dirty |= AUTO_COMMIT;
    }

    @Override
    public void setReadOnly(boolean value) throws SQLException {
        Connection d = open();
        try {
            d.setReadOnly(value);
        } catch (SQLException e) {
            throw fatal(e);
        }
        dirty |= READ_ONLY;
    }

    @Override
    public void setTransactionIsolation(int level) throws SQLException {
        Connection d = open();
        try {
            d.setTransactionIsolation(level);
        } catch (SQLException e) {
            throw fatal(e);
        }
        dirty |= ISOLATION;
    }

    @Override
    public void setCatalog(String catalog) throws SQLException {
        Connection d = open();
        try {
            d.setCatalog(catalog);
        } catch (SQLException e) {
            throw fatal(e);
        }
        dirty |= CATALOG;
    }

    @Override
    public void setSchema(String schema) throws SQLException {
        Connection d = open();
        try {
            d.setSchema(schema);
        } catch (SQLException e) {
            throw fatal(e);
        }
        dirty |= SCHEMA;
    }

    @Override
    public void commit() throws SQLException {
        Connection d = open();
        try {
            d.commit();
        } catch (SQLException e) {
            throw fatal(e);
        }
        txDirty = false;
    }

    @Override
    public void rollback() throws SQLException {
        Connection d = open();
        try {
            d.rollback();
        } catch (SQLException e) {
            throw fatal(e);
        }
        txDirty = false;
    }

    @Override
    public void rollback(Savepoint savepoint) throws SQLException {
        Connection d = open();
        try {
            d.rollback(savepoint);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public Savepoint setSavepoint() throws SQLException {
        Connection d = open();
        txDirty = true;
        try {
            return d.setSavepoint();
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public Savepoint setSavepoint(String name) throws SQLException {
        Connection d = open();
        txDirty = true;
        try {
            return d.setSavepoint(name);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    // ----------------------------------------------------------------------------------- statements

    private <S extends Statement> S track(S statement, Class<S> type) {
        if (statements == null) {
            statements = new ArrayList<>(4);
        }
        StatementHandler handler = new StatementHandler(this, statement);
        S proxy = type.cast(
                Proxy.newProxyInstance(LeasedConnection.class.getClassLoader(), new Class<?>[] {type}, handler));
        statements.add(proxy);
        handler.proxy = proxy;
        return proxy;
    }

    void untrack(Statement proxy) {
        if (statements != null) {
            statements.remove(proxy);
        }
    }

    @Override
    public Statement createStatement() throws SQLException {
        Connection d = open();
        try {
            return track(d.createStatement(), Statement.class);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public Statement createStatement(int a0, int a1) throws SQLException {
        Connection d = open();
        try {
            return track(d.createStatement(a0, a1), Statement.class);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public Statement createStatement(int a0, int a1, int a2) throws SQLException {
        Connection d = open();
        try {
            return track(d.createStatement(a0, a1, a2), Statement.class);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public PreparedStatement prepareStatement(String sql) throws SQLException {
        Connection d = open();
        try {
            return track(d.prepareStatement(sql), PreparedStatement.class);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int a1) throws SQLException {
        Connection d = open();
        try {
            return track(d.prepareStatement(sql, a1), PreparedStatement.class);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int[] a1) throws SQLException {
        Connection d = open();
        try {
            return track(d.prepareStatement(sql, a1), PreparedStatement.class);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public PreparedStatement prepareStatement(String sql, String[] a1) throws SQLException {
        Connection d = open();
        try {
            return track(d.prepareStatement(sql, a1), PreparedStatement.class);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int a1, int a2) throws SQLException {
        Connection d = open();
        try {
            return track(d.prepareStatement(sql, a1, a2), PreparedStatement.class);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int a1, int a2, int a3) throws SQLException {
        Connection d = open();
        try {
            return track(d.prepareStatement(sql, a1, a2, a3), PreparedStatement.class);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public CallableStatement prepareCall(String sql) throws SQLException {
        Connection d = open();
        try {
            return track(d.prepareCall(sql), CallableStatement.class);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public CallableStatement prepareCall(String sql, int a1, int a2) throws SQLException {
        Connection d = open();
        try {
            return track(d.prepareCall(sql, a1, a2), CallableStatement.class);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public CallableStatement prepareCall(String sql, int a1, int a2, int a3) throws SQLException {
        Connection d = open();
        try {
            return track(d.prepareCall(sql, a1, a2, a3), CallableStatement.class);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    // -------------------------------------------------------------------------------------- wrapper

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        Connection d = open();
        if (iface.isInstance(d)) {
            return iface.cast(d);
        }
        return d.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return true;
        }
        Connection d = open();
        return iface.isInstance(d) || d.isWrapperFor(iface);
    }

    @Override
    public String toString() {
        return "LeasedConnection[" + raw + (closed ? ", closed]" : "]");
    }

    /** Statements' calls: fatal-error detection, transaction tracking, getConnection() and close(). */
    private static final class StatementHandler implements InvocationHandler {
        private final LeasedConnection owner;
        private final Statement delegate;
        Object proxy;

        StatementHandler(LeasedConnection owner, Statement delegate) {
            this.owner = owner;
            this.delegate = delegate;
        }

        @Override
        public Object invoke(Object p, Method method, Object[] args) throws Throwable {
            String name = method.getName();
            switch (name) {
                case "close":
                    owner.untrack((Statement) proxy);
                    delegate.close();
                    return null;
                case "getConnection":
                    return owner;
                case "equals":
                    return p == args[0];
                case "hashCode":
                    return System.identityHashCode(p);
                case "toString":
                    return "Statement[" + delegate + "]";
                case "unwrap":
                    if (((Class<?>) args[0]).isInstance(p)) {
                        return p;
                    }
                    break;
                case "isWrapperFor":
                    if (((Class<?>) args[0]).isInstance(p)) {
                        return true;
                    }
                    break;
                default:
                    if (name.startsWith("execute")) {
                        owner.markTransaction();
                    }
            }
            try {
                return method.invoke(delegate, args);
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                if (cause instanceof SQLException) {
                    throw owner.fatal((SQLException) cause);
                }
                throw cause;
            }
        }
    }

    // ------------------------------------------------------------------------------- plain delegation

    @Override
    public void beginRequest() throws SQLException {
        Connection d = open();
        try {
            d.beginRequest();
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public void clearWarnings() throws SQLException {
        Connection d = open();
        try {
            d.clearWarnings();
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public java.sql.Array createArrayOf(String a0, Object[] a1) throws SQLException {
        Connection d = open();
        try {
            return d.createArrayOf(a0, a1);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public java.sql.Blob createBlob() throws SQLException {
        Connection d = open();
        try {
            return d.createBlob();
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public java.sql.Clob createClob() throws SQLException {
        Connection d = open();
        try {
            return d.createClob();
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public java.sql.NClob createNClob() throws SQLException {
        Connection d = open();
        try {
            return d.createNClob();
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public java.sql.SQLXML createSQLXML() throws SQLException {
        Connection d = open();
        try {
            return d.createSQLXML();
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public java.sql.Struct createStruct(String a0, Object[] a1) throws SQLException {
        Connection d = open();
        try {
            return d.createStruct(a0, a1);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public void endRequest() throws SQLException {
        Connection d = open();
        try {
            d.endRequest();
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public boolean getAutoCommit() throws SQLException {
        Connection d = open();
        try {
            return d.getAutoCommit();
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public String getCatalog() throws SQLException {
        Connection d = open();
        try {
            return d.getCatalog();
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public java.util.Properties getClientInfo() throws SQLException {
        Connection d = open();
        try {
            return d.getClientInfo();
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public String getClientInfo(String a0) throws SQLException {
        Connection d = open();
        try {
            return d.getClientInfo(a0);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public int getHoldability() throws SQLException {
        Connection d = open();
        try {
            return d.getHoldability();
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public java.sql.DatabaseMetaData getMetaData() throws SQLException {
        Connection d = open();
        try {
            return d.getMetaData();
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public int getNetworkTimeout() throws SQLException {
        Connection d = open();
        try {
            return d.getNetworkTimeout();
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public String getSchema() throws SQLException {
        Connection d = open();
        try {
            return d.getSchema();
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public int getTransactionIsolation() throws SQLException {
        Connection d = open();
        try {
            return d.getTransactionIsolation();
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public java.util.Map<String, Class<?>> getTypeMap() throws SQLException {
        Connection d = open();
        try {
            return d.getTypeMap();
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public java.sql.SQLWarning getWarnings() throws SQLException {
        Connection d = open();
        try {
            return d.getWarnings();
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public boolean isReadOnly() throws SQLException {
        Connection d = open();
        try {
            return d.isReadOnly();
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public boolean isValid(int a0) throws SQLException {
        Connection d = open();
        try {
            return d.isValid(a0);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public String nativeSQL(String a0) throws SQLException {
        Connection d = open();
        try {
            return d.nativeSQL(a0);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public void releaseSavepoint(java.sql.Savepoint a0) throws SQLException {
        Connection d = open();
        try {
            d.releaseSavepoint(a0);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public void setClientInfo(String a0, String a1) throws java.sql.SQLClientInfoException {
        if (closed) {
            throw new java.sql.SQLClientInfoException("connection is closed", java.util.Map.of());
        }
        raw.setClientInfo(a0, a1);
    }

    @Override
    public void setClientInfo(java.util.Properties a0) throws java.sql.SQLClientInfoException {
        if (closed) {
            throw new java.sql.SQLClientInfoException("connection is closed", java.util.Map.of());
        }
        raw.setClientInfo(a0);
    }

    @Override
    public void setHoldability(int a0) throws SQLException {
        Connection d = open();
        try {
            d.setHoldability(a0);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public void setNetworkTimeout(java.util.concurrent.Executor a0, int a1) throws SQLException {
        Connection d = open();
        try {
            d.setNetworkTimeout(a0, a1);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public void setShardingKey(java.sql.ShardingKey a0, java.sql.ShardingKey a1) throws SQLException {
        Connection d = open();
        try {
            d.setShardingKey(a0, a1);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public void setShardingKey(java.sql.ShardingKey a0) throws SQLException {
        Connection d = open();
        try {
            d.setShardingKey(a0);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public boolean setShardingKeyIfValid(java.sql.ShardingKey a0, int a1) throws SQLException {
        Connection d = open();
        try {
            return d.setShardingKeyIfValid(a0, a1);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public boolean setShardingKeyIfValid(java.sql.ShardingKey a0, java.sql.ShardingKey a1, int a2) throws SQLException {
        Connection d = open();
        try {
            return d.setShardingKeyIfValid(a0, a1, a2);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    @Override
    public void setTypeMap(java.util.Map<String, Class<?>> a0) throws SQLException {
        Connection d = open();
        try {
            d.setTypeMap(a0);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }
}
