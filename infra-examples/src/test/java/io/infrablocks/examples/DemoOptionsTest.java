package io.infrablocks.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DemoOptionsTest {

    @Test
    void defaults() {
        DemoOptions o = DemoOptions.parse().orElseThrow();
        assertEquals(Duration.ofSeconds(60), o.duration());
        assertEquals(Duration.ofSeconds(2), o.warmUp());
        assertEquals(16, o.clients());
        assertEquals(3, o.servers());
        assertEquals(Optional.empty(), o.jdbcUrl());
        assertEquals(Path.of("infra-demo-out"), o.outDir());
    }

    @Test
    void parsesEveryOptionInBothForms() {
        DemoOptions o = DemoOptions.parse(
                        "--duration",
                        "30s",
                        "--clients=4",
                        "--servers",
                        "5",
                        "--jdbc-url",
                        "jdbc:postgresql://127.0.0.1/x",
                        "--jdbc-user",
                        "u",
                        "--jdbc-password=p",
                        "--seed",
                        "7",
                        "--quiet",
                        "--keys",
                        "100",
                        "--out",
                        "/tmp/o",
                        "--warm-up",
                        "0s")
                .orElseThrow();
        assertEquals(Duration.ofSeconds(30), o.duration());
        assertEquals(4, o.clients());
        assertEquals(5, o.servers());
        assertEquals(Optional.of("jdbc:postgresql://127.0.0.1/x"), o.jdbcUrl());
        assertEquals("u", o.jdbcUser());
        assertEquals("p", o.jdbcPassword());
        assertEquals(7, o.seed());
        assertEquals(100, o.keys());
        assertEquals(Path.of("/tmp/o"), o.outDir());
        assertTrue(o.quiet());
        assertEquals(Duration.ZERO, o.warmUp());
    }

    @Test
    void durations() {
        assertEquals(Duration.ofMillis(1500), DemoOptions.parseDuration("1500ms"));
        assertEquals(Duration.ofMinutes(2), DemoOptions.parseDuration("2m"));
        assertEquals(Duration.ofSeconds(45), DemoOptions.parseDuration("45"));
    }

    @Test
    void helpIsEmpty() {
        assertEquals(Optional.empty(), DemoOptions.parse("--clients", "3", "--help"));
    }

    @Test
    void badInputNamesOptionAndValue() {
        assertEquals("unknown option '--bogus'", message("--bogus"));
        assertEquals("--clients must be a whole number but was 'x'", message("--clients", "x"));
        assertEquals("--servers must be in [2, 32] but was 1", message("--servers", "1"));
        assertEquals("--duration must look like 30s, 2m or 1500ms but was 'soon'", message("--duration", "soon"));
        assertEquals("--duration must be at least 1s but was '10ms'", message("--duration", "10ms"));
        assertEquals("--jdbc-url must start with jdbc: but was 'postgres://x'", message("--jdbc-url", "postgres://x"));
        assertEquals("--duration needs a value", message("--duration"));
    }

    private static String message(String... args) {
        return assertThrows(DemoOptions.UsageException.class, () -> DemoOptions.parse(args))
                .getMessage();
    }
}
