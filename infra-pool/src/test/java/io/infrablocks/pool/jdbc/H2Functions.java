package io.infrablocks.pool.jdbc;

import java.sql.SQLException;

/** Java functions H2 calls from SQL in the tests. */
public final class H2Functions {
    private H2Functions() {}

    /**
     * Throws an SQLException with the given SQLState, as a dying server would.
     *
     * @param state the SQLState
     * @return never
     * @throws SQLException always
     */
    public static int fail(String state) throws SQLException {
        throw new SQLException("injected failure", state);
    }
}
