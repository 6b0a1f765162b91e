package io.infrablocks.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurabilityTest {

    @Test
    void periodicRejectsNonPositiveIntervals() {
        var e = assertThrows(IllegalArgumentException.class, () -> Durability.periodic(Duration.ZERO));
        assertEquals("interval must be > 0 but was PT0S", e.getMessage());
        assertThrows(NullPointerException.class, () -> Durability.periodic(null));
    }

    @Test
    void describesItself() {
        assertEquals("SYNC", Durability.sync().toString());
        assertEquals("NONE", Durability.none().toString());
        assertEquals(
                "PERIODIC(PT0.01S)", Durability.periodic(Duration.ofMillis(10)).toString());
        assertEquals(
                Durability.Kind.PERIODIC,
                Durability.periodic(Duration.ofMillis(10)).kind());
    }
}
