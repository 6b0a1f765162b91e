package io.infrablocks.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LbSimulatorTest {

    @Test
    void failFastIsDeterministicAndNoAlgorithmWithHealthErrsMoreThanRoundRobin() {
        List<String> first = LbSimulator.run("fail-fast", 42);
        assertEquals(first, LbSimulator.run("fail-fast", 42));
        assertEquals(LbSimulator.HEADER, first.get(0));
        List<String> names = new ArrayList<>();
        double roundRobinErrors = -1;
        for (String line : first.subList(1, first.size())) {
            String[] f = line.split(",");
            assertEquals(9, f.length, line);
            assertEquals("fail-fast", f[0]);
            names.add(f[1]);
            if (f[1].equals("round-robin")) {
                roundRobinErrors = Double.parseDouble(f[6]);
            }
        }
        assertTrue(names.containsAll(List.of(
                "round-robin",
                "weighted-round-robin",
                "random",
                "least-connections",
                "least-response-time",
                "p2c-least-connections",
                "p2c-ewma")));
        for (String line : first.subList(1, first.size())) {
            String[] f = line.split(",");
            if (!f[1].endsWith("-no-health")) {
                assertTrue(Double.parseDouble(f[6]) <= roundRobinErrors, line);
            }
        }
    }

    @Test
    void unknownScenarioIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LbSimulator.run("nope", 1));
        assertEquals("unknown scenario 'nope'; known: slow-backend, fail-fast, heterogeneous, churn", e.getMessage());
    }
}
