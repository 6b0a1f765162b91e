package io.infrablocks.bench;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * A JDBC connection that does nothing (no I/O), for {@link PoolBenchmark}: every pool pays the same for the
 * calls it makes on borrow and return, so the benchmark measures the pools alone.
 */
final class StubConnection implements Connection {

    private volatile boolean closed;

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public boolean isValid(int timeout) {
        return !closed;
    }

    @Override
    public boolean getAutoCommit() {
        return true;
    }

    @Override
    public int getTransactionIsolation() {
        return Connection.TRANSACTION_READ_COMMITTED;
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        throw new SQLException("not a wrapper for " + iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this);
    }

    @Override
    public void abort(java.util.concurrent.Executor a0) throws SQLException {}

    @Override
    public void beginRequest() throws SQLException {}

    @Override
    public void clearWarnings() throws SQLException {}

    @Override
    public void commit() throws SQLException {}

    @Override
    public java.sql.Array createArrayOf(String a0, Object[] a1) throws SQLException {
        return null;
    }

    @Override
    public java.sql.Blob createBlob() throws SQLException {
        return null;
    }

    @Override
    public java.sql.Clob createClob() throws SQLException {
        return null;
    }

    @Override
    public java.sql.NClob createNClob() throws SQLException {
        return null;
    }

    @Override
    public java.sql.SQLXML createSQLXML() throws SQLException {
        return null;
    }

    @Override
    public java.sql.Statement createStatement() throws SQLException {
        return null;
    }

    @Override
    public java.sql.Statement createStatement(int a0, int a1, int a2) throws SQLException {
        return null;
    }

    @Override
    public java.sql.Statement createStatement(int a0, int a1) throws SQLException {
        return null;
    }

    @Override
    public java.sql.Struct createStruct(String a0, Object[] a1) throws SQLException {
        return null;
    }

    @Override
    public void endRequest() throws SQLException {}

    @Override
    public String getCatalog() throws SQLException {
        return null;
    }

    @Override
    public java.util.Properties getClientInfo() throws SQLException {
        return null;
    }

    @Override
    public String getClientInfo(String a0) throws SQLException {
        return null;
    }

    @Override
    public int getHoldability() throws SQLException {
        return 0;
    }

    @Override
    public java.sql.DatabaseMetaData getMetaData() throws SQLException {
        return null;
    }

    @Override
    public int getNetworkTimeout() throws SQLException {
        return 0;
    }

    @Override
    public String getSchema() throws SQLException {
        return null;
    }

    @Override
    public java.util.Map<String, Class<?>> getTypeMap() throws SQLException {
        return null;
    }

    @Override
    public java.sql.SQLWarning getWarnings() throws SQLException {
        return null;
    }

    @Override
    public boolean isReadOnly() throws SQLException {
        return false;
    }

    @Override
    public String nativeSQL(String a0) throws SQLException {
        return null;
    }

    @Override
    public java.sql.CallableStatement prepareCall(String a0, int a1, int a2, int a3) throws SQLException {
        return null;
    }

    @Override
    public java.sql.CallableStatement prepareCall(String a0, int a1, int a2) throws SQLException {
        return null;
    }

    @Override
    public java.sql.CallableStatement prepareCall(String a0) throws SQLException {
        return null;
    }

    @Override
    public java.sql.PreparedStatement prepareStatement(String a0, int[] a1) throws SQLException {
        return null;
    }

    @Override
    public java.sql.PreparedStatement prepareStatement(String a0, String[] a1) throws SQLException {
        return null;
    }

    @Override
    public java.sql.PreparedStatement prepareStatement(String a0, int a1, int a2, int a3) throws SQLException {
        return null;
    }

    @Override
    public java.sql.PreparedStatement prepareStatement(String a0, int a1, int a2) throws SQLException {
        return null;
    }

    @Override
    public java.sql.PreparedStatement prepareStatement(String a0, int a1) throws SQLException {
        return null;
    }

    @Override
    public java.sql.PreparedStatement prepareStatement(String a0) throws SQLException {
        return null;
    }

    @Override
    public void releaseSavepoint(java.sql.Savepoint a0) throws SQLException {}

    @Override
    public void rollback() throws SQLException {}

    @Override
    public void rollback(java.sql.Savepoint a0) throws SQLException {}

    @Override
    public void setAutoCommit(boolean a0) throws SQLException {}

    @Override
    public void setCatalog(String a0) throws SQLException {}

    @Override
    public void setClientInfo(String a0, String a1) throws java.sql.SQLClientInfoException {}

    @Override
    public void setClientInfo(java.util.Properties a0) throws java.sql.SQLClientInfoException {}

    @Override
    public void setHoldability(int a0) throws SQLException {}

    @Override
    public void setNetworkTimeout(java.util.concurrent.Executor a0, int a1) throws SQLException {}

    @Override
    public void setReadOnly(boolean a0) throws SQLException {}

    @Override
    public java.sql.Savepoint setSavepoint() throws SQLException {
        return null;
    }

    @Override
    public java.sql.Savepoint setSavepoint(String a0) throws SQLException {
        return null;
    }

    @Override
    public void setSchema(String a0) throws SQLException {}

    @Override
    public void setShardingKey(java.sql.ShardingKey a0, java.sql.ShardingKey a1) throws SQLException {}

    @Override
    public void setShardingKey(java.sql.ShardingKey a0) throws SQLException {}

    @Override
    public boolean setShardingKeyIfValid(java.sql.ShardingKey a0, int a1) throws SQLException {
        return false;
    }

    @Override
    public boolean setShardingKeyIfValid(java.sql.ShardingKey a0, java.sql.ShardingKey a1, int a2) throws SQLException {
        return false;
    }

    @Override
    public void setTransactionIsolation(int a0) throws SQLException {}

    @Override
    public void setTypeMap(java.util.Map<String, Class<?>> a0) throws SQLException {}
}
