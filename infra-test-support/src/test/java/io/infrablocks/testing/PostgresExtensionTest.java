package io.infrablocks.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PostgresExtensionTest {

    @Test
    void skipsWithReasonOutsideCi() {
        var result = new PostgresExtension(Map.of()).evaluateExecutionCondition(null);
        assertTrue(result.isDisabled());
        assertTrue(result.getReason().orElseThrow().contains("INFRA_PG_URL is not set"));
    }

    @Test
    void failsTheClassInCiWhenDatabaseMissing() {
        var extension = new PostgresExtension(Map.of("CI", "true"));
        assertFalse(extension.evaluateExecutionCondition(null).isDisabled());
        var e = assertThrows(IllegalStateException.class, () -> extension.beforeAll(null));
        assertTrue(e.getMessage().startsWith("CI=true but INFRA_PG_URL is not set"), e.getMessage());
    }

    @Test
    void readsCoordinatesFromEnvironment() {
        var env = Map.of(
                "INFRA_PG_URL", "jdbc:postgresql://127.0.0.1:5432/x",
                "INFRA_PG_USER", "u",
                "INFRA_PG_PASSWORD", "p",
                "INFRA_PG_RESTART_CMD", "pg_ctlcluster 15 main restart");
        var db = PostgresDatabase.fromEnvironment(env).orElseThrow();
        assertEquals(
                new PostgresDatabase(
                        "jdbc:postgresql://127.0.0.1:5432/x", "u", "p", Optional.of("pg_ctlcluster 15 main restart")),
                db);
        assertFalse(db.toString().contains("p]"), "toString must hide the password");
        assertFalse(new PostgresExtension(env).evaluateExecutionCondition(null).isDisabled());
    }
}
