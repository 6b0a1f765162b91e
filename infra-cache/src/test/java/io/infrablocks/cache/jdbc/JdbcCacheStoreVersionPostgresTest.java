package io.infrablocks.cache.jdbc;

import io.infrablocks.testing.PostgresDatabase;
import io.infrablocks.testing.RequiresPostgres;
import javax.sql.DataSource;

@RequiresPostgres
class JdbcCacheStoreVersionPostgresTest extends JdbcCacheStoreVersionContract {

    private final DataSource dataSource;

    JdbcCacheStoreVersionPostgresTest(PostgresDatabase db) {
        this.dataSource = new JdbcCacheStoreContract.UrlDataSource(db.url(), db.user(), db.password());
    }

    @Override
    DataSource dataSource() {
        return dataSource;
    }

    @Override
    String binaryType() {
        return "BYTEA";
    }
}
