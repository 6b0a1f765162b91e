package io.infrablocks.pool.jdbc;

import io.infrablocks.pool.Lease;
import io.infrablocks.pool.Pool;
import io.infrablocks.pool.PoolBuilder;
import io.infrablocks.pool.PoolClosedException;
import io.infrablocks.pool.PoolException;
import io.infrablocks.pool.PoolMetrics;
import io.infrablocks.pool.ResourceFactory;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A pooling {@link DataSource} over the infrablocks {@link Pool}: strict FIFO hand-off to waiting threads,
 * fail-fast while the database is down, leak detection, keepalive.
 *
 * <pre>{@code
 * PooledDataSource ds = PooledDataSource.builder()
 *         .url("jdbc:postgresql://db/orders").user("app").password(secret)
 *         .pool(p -> p.name("orders").maxSize(10).acquireTimeout(Duration.ofMillis(250)))
 *         .build();
 * try (Connection c = ds.getConnection()) { ... }   // close() returns it to the pool
 * }</pre>
 *
 * <p>Connections handed out are wrappers whose {@code close()} returns the physical connection after
 * closing statements left open, rolling back uncommitted work, and restoring auto-commit, read-only,
 * isolation, catalog and schema if the borrower changed them. A connection that threw a fatal error
 * (SQLState class 08, PostgreSQL 57P01/57P02/57P03 and the like) is discarded instead. Pool failures
 * surface as {@link SQLTransientConnectionException} (exhausted) or {@link
 * SQLNonTransientConnectionException} (closed, cannot connect) whose cause is the {@link PoolException}.
 */
public final class PooledDataSource implements DataSource, AutoCloseable {

    private final Pool<PhysicalConnection> pool;
    private volatile PrintWriter logWriter;
    private volatile int loginTimeout;

    private PooledDataSource(Pool<PhysicalConnection> pool) {
        this.pool = pool;
    }

    /**
     * Starts configuring a data source.
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Borrows a connection from the pool; close it to return it.
     *
     * @return a pooled connection
     * @throws SQLTransientConnectionException when the pool is exhausted (timed out or wait queue full)
     * @throws SQLNonTransientConnectionException when the pool is closed or cannot connect (fail-fast)
     */
    @Override
    public Connection getConnection() throws SQLException {
        Lease<PhysicalConnection> lease;
        try {
            lease = pool.acquire();
        } catch (io.infrablocks.pool.PoolExhaustedException e) {
            throw new SQLTransientConnectionException(e.getMessage(), "08001", e);
        } catch (PoolClosedException e) {
            throw new SQLNonTransientConnectionException(e.getMessage(), "08003", e);
        } catch (PoolException e) {
            throw new SQLNonTransientConnectionException(e.getMessage(), "08001", e);
        }
        return new LeasedConnection(lease);
    }

    /**
     * Not supported: every pooled connection uses the configured credentials.
     *
     * @param username ignored
     * @param password ignored
     * @return never
     * @throws SQLFeatureNotSupportedException always
     */
    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("a pooled data source uses its configured credentials");
    }

    /**
     * A snapshot of the pool's state and counters.
     *
     * @return the metrics
     */
    public PoolMetrics metrics() {
        return pool.metrics();
    }

    /** Recycles every connection, e.g. after a database failover (see {@link Pool#evictAll()}). */
    public void evictAll() {
        pool.evictAll();
    }

    /**
     * The pool's name.
     *
     * @return the name
     */
    public String name() {
        return pool.name();
    }

    /** Closes the pool with its configured close timeout (see {@link Pool#close(Duration)}). */
    @Override
    public void close() {
        pool.close();
    }

    /**
     * Closes the pool, waiting up to {@code timeout} for borrowed connections.
     *
     * @param timeout the longest wait
     * @return true when every connection came back in time
     */
    public boolean close(Duration timeout) {
        return pool.close(timeout);
    }

    /**
     * The log writer (kept for the DataSource contract; the pool logs through slf4j).
     *
     * @return the writer, or null
     */
    @Override
    public PrintWriter getLogWriter() {
        return logWriter;
    }

    /**
     * Sets the log writer (kept for the DataSource contract; the pool logs through slf4j).
     *
     * @param out the writer
     */
    @Override
    public void setLogWriter(PrintWriter out) {
        this.logWriter = out;
    }

    /**
     * Stored for the DataSource contract; the pool's acquire timeout governs waits.
     *
     * @param seconds the timeout
     */
    @Override
    public void setLoginTimeout(int seconds) {
        this.loginTimeout = seconds;
    }

    /**
     * The stored login timeout.
     *
     * @return seconds
     */
    @Override
    public int getLoginTimeout() {
        return loginTimeout;
    }

    /**
     * Not supported (slf4j logging).
     *
     * @return never
     * @throws SQLFeatureNotSupportedException always
     */
    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException("infrablocks logs through slf4j");
    }

    /**
     * Unwraps to this data source.
     *
     * @param iface the interface
     * @param <T> its type
     * @return this
     * @throws SQLException when this is not an instance of {@code iface}
     */
    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        throw new SQLException("not a wrapper for " + iface.getName());
    }

    /**
     * Whether this is an instance of {@code iface}.
     *
     * @param iface the interface
     * @return true when it is
     */
    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this);
    }

    @Override
    public String toString() {
        return "PooledDataSource[" + pool + "]";
    }

    /** Configures a {@link PooledDataSource}: a driver URL or a driver {@link DataSource}, plus the pool. */
    public static final class Builder {
        private String url;
        private String user;
        private String password;
        private DataSource dataSource;
        private Duration validationTimeout = Duration.ofSeconds(5);
        private Consumer<? super PoolBuilder<?>> poolSettings = p -> {};

        private Builder() {}

        /**
         * Connects through {@link DriverManager} with this JDBC URL.
         *
         * @param url e.g. {@code jdbc:postgresql://127.0.0.1:5432/orders}
         * @return this builder
         */
        public Builder url(String url) {
            this.url = Objects.requireNonNull(url, "url");
            return this;
        }

        /**
         * The user for {@link #url(String)}.
         *
         * @param user the user
         * @return this builder
         */
        public Builder user(String user) {
            this.user = Objects.requireNonNull(user, "user");
            return this;
        }

        /**
         * The password for {@link #url(String)}.
         *
         * @param password the password
         * @return this builder
         */
        public Builder password(String password) {
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        /**
         * Connects through a driver's own (non-pooling) data source instead of a URL.
         *
         * @param dataSource e.g. {@code org.postgresql.ds.PGSimpleDataSource}
         * @return this builder
         */
        public Builder dataSource(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
            return this;
        }

        /**
         * How long {@link Connection#isValid(int)} may take when validating (rounded up to seconds).
         *
         * @param timeout more than zero
         * @return this builder
         */
        public Builder validationTimeout(Duration timeout) {
            this.validationTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * Pool settings (name, maxSize, acquireTimeout, failFast, ...), applied to the underlying {@link
         * PoolBuilder}.
         *
         * @param settings e.g. {@code p -> p.name("orders").maxSize(10)}
         * @return this builder
         */
        public Builder pool(Consumer<? super PoolBuilder<?>> settings) {
            this.poolSettings = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /**
         * Checks the settings and starts the pool.
         *
         * @return the data source
         * @throws IllegalArgumentException naming the bad or missing setting
         */
        public PooledDataSource build() {
            if ((url == null) == (dataSource == null)) {
                throw new IllegalArgumentException("exactly one of url and dataSource must be set but was url=" + url
                        + ", dataSource=" + dataSource);
            }
            if (validationTimeout.isNegative() || validationTimeout.isZero()) {
                throw new IllegalArgumentException("validationTimeout must be > 0 but was " + validationTimeout);
            }
            int validationSeconds = (int) Math.max(1, (validationTimeout.toMillis() + 999) / 1000);
            String u = url;
            String usr = user;
            String pwd = password;
            DataSource ds = dataSource;
            ResourceFactory<PhysicalConnection> factory = new ResourceFactory<>() {
                @Override
                public PhysicalConnection create() throws SQLException {
                    Connection c = ds != null ? ds.getConnection() : DriverManager.getConnection(u, usr, pwd);
                    try {
                        return new PhysicalConnection(c);
                    } catch (SQLException | RuntimeException e) {
                        c.close();
                        throw e;
                    }
                }

                @Override
                public boolean validate(PhysicalConnection c) throws SQLException {
                    return c.raw.isValid(validationSeconds);
                }

                @Override
                public void destroy(PhysicalConnection c) throws SQLException {
                    c.raw.close();
                }
            };
            PoolBuilder<PhysicalConnection> pb = Pool.builder(factory).name("jdbc");
            poolSettings.accept(pb);
            return new PooledDataSource(pb.build());
        }
    }
}
