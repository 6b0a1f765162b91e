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

    /** A call on the physical connection, for {@link #call}. */
    @FunctionalInterface
    private interface SqlCall<R> {
        R on(Connection raw) throws SQLException;
    }

    /** A call on the physical connection that returns nothing, for {@link #run}. */
    @FunctionalInterface
    private interface SqlRun {
        void on(Connection raw) throws SQLException;
    }

    /**
     * The delegation every JDBC method shares: fails once this connection is closed (SQLState 08003), else
     * makes the call on the physical connection, and marks this connection broken if the call throws a
     * fatal SQLException ({@link #fatal}).
     */
    private <R> R call(SqlCall<R> call) throws SQLException {
        Connection d = open();
        try {
            return call.on(d);
        } catch (SQLException e) {
            throw fatal(e);
        }
    }

    /** {@link #call} for a method that returns nothing. */
    private void run(SqlRun run) throws SQLException {
        Connection d = open();
        try {
            run.on(d);
        } catch (SQLException e) {
            throw fatal(e);
        }
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
        run(d -> d.setAutoCommit(value));
        if (value != autoCommit) {
            txDirty = false; // a change of mode commits the open transaction (JDBC 4.3, 10.1.1)
        }
        autoCommit = value;
        dirty |= AUTO_COMMIT;
    }

    @Override
    public void setReadOnly(boolean value) throws SQLException {
        run(d -> d.setReadOnly(value));
        dirty |= READ_ONLY;
    }

    @Override
    public void setTransactionIsolation(int level) throws SQLException {
        run(d -> d.setTransactionIsolation(level));
        dirty |= ISOLATION;
    }

    @Override
    public void setCatalog(String catalog) throws SQLException {
        run(d -> d.setCatalog(catalog));
        dirty |= CATALOG;
    }

    @Override
    public void setSchema(String schema) throws SQLException {
        run(d -> d.setSchema(schema));
        dirty |= SCHEMA;
    }

    @Override
    public void commit() throws SQLException {
        run(d -> d.commit());
        txDirty = false;
    }

    @Override
    public void rollback() throws SQLException {
        run(d -> d.rollback());
        txDirty = false;
    }

    @Override
    public void rollback(Savepoint savepoint) throws SQLException {
        run(d -> d.rollback(savepoint));
    }

    @Override
    public Savepoint setSavepoint() throws SQLException {
        open();
        txDirty = true; // before the call: a savepoint that failed half-way may have begun a transaction
        return call(d -> d.setSavepoint());
    }

    @Override
    public Savepoint setSavepoint(String name) throws SQLException {
        open();
        txDirty = true; // before the call: a savepoint that failed half-way may have begun a transaction
        return call(d -> d.setSavepoint(name));
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
        return call(d -> track(d.createStatement(), Statement.class));
    }

    @Override
    public Statement createStatement(int a0, int a1) throws SQLException {
        return call(d -> track(d.createStatement(a0, a1), Statement.class));
    }

    @Override
    public Statement createStatement(int a0, int a1, int a2) throws SQLException {
        return call(d -> track(d.createStatement(a0, a1, a2), Statement.class));
    }

    @Override
    public PreparedStatement prepareStatement(String sql) throws SQLException {
        return call(d -> track(d.prepareStatement(sql), PreparedStatement.class));
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int a1) throws SQLException {
        return call(d -> track(d.prepareStatement(sql, a1), PreparedStatement.class));
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int[] a1) throws SQLException {
        return call(d -> track(d.prepareStatement(sql, a1), PreparedStatement.class));
    }

    @Override
    public PreparedStatement prepareStatement(String sql, String[] a1) throws SQLException {
        return call(d -> track(d.prepareStatement(sql, a1), PreparedStatement.class));
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int a1, int a2) throws SQLException {
        return call(d -> track(d.prepareStatement(sql, a1, a2), PreparedStatement.class));
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int a1, int a2, int a3) throws SQLException {
        return call(d -> track(d.prepareStatement(sql, a1, a2, a3), PreparedStatement.class));
    }

    @Override
    public CallableStatement prepareCall(String sql) throws SQLException {
        return call(d -> track(d.prepareCall(sql), CallableStatement.class));
    }

    @Override
    public CallableStatement prepareCall(String sql, int a1, int a2) throws SQLException {
        return call(d -> track(d.prepareCall(sql, a1, a2), CallableStatement.class));
    }

    @Override
    public CallableStatement prepareCall(String sql, int a1, int a2, int a3) throws SQLException {
        return call(d -> track(d.prepareCall(sql, a1, a2, a3), CallableStatement.class));
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
        run(d -> d.beginRequest());
    }

    @Override
    public void clearWarnings() throws SQLException {
        run(d -> d.clearWarnings());
    }

    @Override
    public java.sql.Array createArrayOf(String a0, Object[] a1) throws SQLException {
        return call(d -> d.createArrayOf(a0, a1));
    }

    @Override
    public java.sql.Blob createBlob() throws SQLException {
        return call(d -> d.createBlob());
    }

    @Override
    public java.sql.Clob createClob() throws SQLException {
        return call(d -> d.createClob());
    }

    @Override
    public java.sql.NClob createNClob() throws SQLException {
        return call(d -> d.createNClob());
    }

    @Override
    public java.sql.SQLXML createSQLXML() throws SQLException {
        return call(d -> d.createSQLXML());
    }

    @Override
    public java.sql.Struct createStruct(String a0, Object[] a1) throws SQLException {
        return call(d -> d.createStruct(a0, a1));
    }

    @Override
    public void endRequest() throws SQLException {
        run(d -> d.endRequest());
    }

    @Override
    public boolean getAutoCommit() throws SQLException {
        return call(d -> d.getAutoCommit());
    }

    @Override
    public String getCatalog() throws SQLException {
        return call(d -> d.getCatalog());
    }

    @Override
    public java.util.Properties getClientInfo() throws SQLException {
        return call(d -> d.getClientInfo());
    }

    @Override
    public String getClientInfo(String a0) throws SQLException {
        return call(d -> d.getClientInfo(a0));
    }

    @Override
    public int getHoldability() throws SQLException {
        return call(d -> d.getHoldability());
    }

    @Override
    public java.sql.DatabaseMetaData getMetaData() throws SQLException {
        return call(d -> d.getMetaData());
    }

    @Override
    public int getNetworkTimeout() throws SQLException {
        return call(d -> d.getNetworkTimeout());
    }

    @Override
    public String getSchema() throws SQLException {
        return call(d -> d.getSchema());
    }

    @Override
    public int getTransactionIsolation() throws SQLException {
        return call(d -> d.getTransactionIsolation());
    }

    @Override
    public java.util.Map<String, Class<?>> getTypeMap() throws SQLException {
        return call(d -> d.getTypeMap());
    }

    @Override
    public java.sql.SQLWarning getWarnings() throws SQLException {
        return call(d -> d.getWarnings());
    }

    @Override
    public boolean isReadOnly() throws SQLException {
        return call(d -> d.isReadOnly());
    }

    @Override
    public boolean isValid(int a0) throws SQLException {
        return call(d -> d.isValid(a0));
    }

    @Override
    public String nativeSQL(String a0) throws SQLException {
        return call(d -> d.nativeSQL(a0));
    }

    @Override
    public void releaseSavepoint(java.sql.Savepoint a0) throws SQLException {
        run(d -> d.releaseSavepoint(a0));
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
        run(d -> d.setHoldability(a0));
    }

    @Override
    public void setNetworkTimeout(java.util.concurrent.Executor a0, int a1) throws SQLException {
        run(d -> d.setNetworkTimeout(a0, a1));
    }

    @Override
    public void setShardingKey(java.sql.ShardingKey a0, java.sql.ShardingKey a1) throws SQLException {
        run(d -> d.setShardingKey(a0, a1));
    }

    @Override
    public void setShardingKey(java.sql.ShardingKey a0) throws SQLException {
        run(d -> d.setShardingKey(a0));
    }

    @Override
    public boolean setShardingKeyIfValid(java.sql.ShardingKey a0, int a1) throws SQLException {
        return call(d -> d.setShardingKeyIfValid(a0, a1));
    }

    @Override
    public boolean setShardingKeyIfValid(java.sql.ShardingKey a0, java.sql.ShardingKey a1, int a2) throws SQLException {
        return call(d -> d.setShardingKeyIfValid(a0, a1, a2));
    }

    @Override
    public void setTypeMap(java.util.Map<String, Class<?>> a0) throws SQLException {
        run(d -> d.setTypeMap(a0));
    }
}
