package io.infrablocks.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short run of the whole three-tier demo (12 s of load) and the invariants it must show: no acknowledged
 * write lost, the stopped server gets no traffic while down and traffic again after its restart, the slow
 * server's share drops while it is slow, and errors happen only around the faults.
 */
class DemoIntegrationTest {

    private static Demo.Result result;
    private static String output;

    @TempDir
    static Path out;

    @BeforeAll
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    static void runTheDemo() throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        DemoOptions options = DemoOptions.parse(
                        "--duration",
                        "12s",
                        "--warm-up",
                        "1s",
                        "--clients",
                        "8",
                        "--keys",
                        "2000",
                        "--quiet",
                        "--out",
                        out.toString())
                .orElseThrow();
        result = Demo.run(options, new PrintStream(buffer, true, StandardCharsets.UTF_8));
        output = buffer.toString(StandardCharsets.UTF_8);
        System.out.println(output); // kept in the surefire report for whoever reads a failure
    }

    @Test
    void losesNoAcknowledgedWrite() {
        assertTrue(result.writesAcknowledged() > 0, output);
        assertEquals(0, result.lostWrites().size(), output);
        assertTrue(output.contains("lost writes: 0"), output);
    }

    @Test
    void stoppedServerGetsNoTrafficWhileDownAndTrafficAfterRestart() {
        Phases p = result.phases();
        RunSeries s = result.series();
        int stopped = p.stoppedServer();
        assertTrue(s.servedBy(stopped, 0, p.stopAt()) > 0, "served before the stop\n" + output);
        assertEquals(0, s.servedBy(stopped, p.stopAt() + 1, p.restartAt()), "no traffic while down\n" + output);
        assertTrue(s.servedBy(stopped, p.restartAt(), p.seconds()) > 0, "traffic after the restart\n" + output);
    }

    @Test
    void slowServerShareDropsWhileSlow() {
        Phases p = result.phases();
        RunSeries s = result.series();
        double before = share(s, p.slowServer(), 1, p.slowAt());
        double during = share(s, p.slowServer(), p.slowAt() + 1, p.stopAt());
        assertTrue(during < before * 0.6, "share before " + before + ", while slow " + during + "\n" + output);
    }

    @Test
    void errorsOnlyAroundTheFaults() {
        Phases p = result.phases();
        RunSeries s = result.series();
        for (int second = 0; second < p.seconds(); second++) {
            // A request that fails at the stop may have started in the second before it.
            boolean nearStop = second >= p.stopAt() - 1 && second <= p.stopAt() + 2;
            boolean nearRestart = second >= p.restartAt() && second <= p.restartAt() + 2;
            if (!nearStop && !nearRestart) {
                assertEquals(0, s.errors(second), "errors in second " + second + "\n" + output);
            }
        }
    }

    @Test
    void writesSeriesAndCharts() throws Exception {
        Path csv = out.resolve("demo.csv");
        Path html = out.resolve("demo.html");
        assertTrue(Files.readString(csv).startsWith("second,requests,errors,p50_ms,p99_ms,share_app-0"));
        assertEquals(result.phases().seconds() + 1, Files.readAllLines(csv).size());
        assertTrue(Files.readString(html).contains("<svg"));
        assertTrue(output.contains("series (CSV):      " + csv.toAbsolutePath()), output);
    }

    private static double share(RunSeries s, int server, int from, int to) {
        long mine = s.servedBy(server, from, to);
        long all = 0;
        for (int i = 0; i < s.servers(); i++) {
            all += s.servedBy(i, from, to);
        }
        return all == 0 ? 0 : (double) mine / all;
    }
}
