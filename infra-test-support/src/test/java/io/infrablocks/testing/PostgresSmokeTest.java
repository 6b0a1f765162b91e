package io.infrablocks.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** Proves the CI wiring: the server .ci/run started answers as the configured role. */
@RequiresPostgres
class PostgresSmokeTest {

    @Test
    void connectsAndQueries(PostgresDatabase db) throws SQLException {
        try (var c = db.connect();
                var s = c.createStatement();
                var rs = s.executeQuery("select current_user, current_setting('server_version_num')::int")) {
            assertTrue(rs.next());
            assertEquals(db.user(), rs.getString(1));
            assertTrue(rs.getInt(2) >= 150000, "PostgreSQL 15 or later expected");
        }
    }
}
