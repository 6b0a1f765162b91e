package io.infrablocks.pool.jdbc;

import java.sql.Connection;
import java.sql.SQLException;

/** A pooled physical connection and the settings it had when created (restored on every return). */
final class PhysicalConnection {
    final Connection raw;
    final boolean defaultAutoCommit;
    final boolean defaultReadOnly;
    final int defaultIsolation;
    final String defaultCatalog;
    final String defaultSchema;

    PhysicalConnection(Connection raw) throws SQLException {
        this.raw = raw;
        this.defaultAutoCommit = raw.getAutoCommit();
        this.defaultReadOnly = raw.isReadOnly();
        this.defaultIsolation = raw.getTransactionIsolation();
        this.defaultCatalog = raw.getCatalog();
        this.defaultSchema = raw.getSchema();
    }

    @Override
    public String toString() {
        return raw.toString();
    }
}
