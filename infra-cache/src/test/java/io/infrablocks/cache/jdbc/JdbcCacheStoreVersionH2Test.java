package io.infrablocks.cache.jdbc;

import javax.sql.DataSource;

class JdbcCacheStoreVersionH2Test extends JdbcCacheStoreVersionContract {

    private static final DataSource DATA_SOURCE =
            new JdbcCacheStoreContract.UrlDataSource("jdbc:h2:mem:wb_versioned;DB_CLOSE_DELAY=-1", "", "");

    @Override
    DataSource dataSource() {
        return DATA_SOURCE;
    }

    @Override
    String binaryType() {
        return "VARBINARY(1000)";
    }
}
