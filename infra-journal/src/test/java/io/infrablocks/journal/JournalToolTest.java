package io.infrablocks.journal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.infrablocks.testing.ChildJvm;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class JournalToolTest {

    @TempDir
    Path dir;

    record Result(int code, String out, String err) {}

    static Result run(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = JournalTool.run(
                args,
                new ByteArrayInputStream(stdin.getBytes(UTF_8)),
                new PrintStream(out, true, UTF_8),
                new PrintStream(err, true, UTF_8));
        return new Result(code, out.toString(UTF_8), err.toString(UTF_8));
    }

    @Test
    void badArgumentsPrintUsageOnStandardErrorWithExitCode2() {
        for (String[] args : new String[][] {{}, {"verify"}, {"verify", "a", "b"}, {"frobnicate", dir.toString()}}) {
            Result r = run("", args);
            assertEquals(2, r.code(), String.join(" ", args));
            assertEquals("", r.out());
            assertTrue(r.err().contains("usage: JournalTool COMMAND DIR"), r.err());
        }
        assertTrue(run("", "frobnicate", "x").err().startsWith("unknown command: frobnicate"));
    }

    @Test
    void appendAcknowledgesEachLineThenReplayVerifyAndDumpShowThem() {
        Path j = dir.resolve("j");
        Result a = run("alpha\nbeta\n\ngamma é\n", "append", j.toString());
        assertEquals(0, a.code(), a.err());
        assertEquals("ack 1\nack 2\nack 3\nack 4\n", a.out().replace("\r\n", "\n"));

        Result r = run("", "replay", j.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("alpha\nbeta\n\ngamma é\n", r.out().replace("\r\n", "\n"));

        Result v = run("", "verify", j.toString());
        assertEquals(0, v.code(), v.err());
        assertTrue(v.out().contains("segments: 1"), v.out());
        assertTrue(v.out().contains("transactions: 4"), v.out());
        assertTrue(v.out().contains("last LSN: 4"), v.out());
        assertTrue(v.out().endsWith("OK" + System.lineSeparator()), v.out());

        Result d = run("", "dump", j.toString());
        assertEquals(0, d.code(), d.err());
        assertTrue(d.out().contains("@32 DATA   lsn 1 5 bytes \"alpha\""), d.out());
        assertTrue(d.out().contains("@57 COMMIT lsn 1 records 1"), d.out());

        Result more = run("delta\n", "append", j.toString());
        assertEquals("ack 1\n", more.out().replace("\r\n", "\n"));
        assertTrue(run("", "replay", j.toString()).out().endsWith("delta" + System.lineSeparator()));
    }

    @Test
    void missingDirectoryAndLockedJournalFailWithExitCode1() {
        Result v = run("", "verify", dir.resolve("absent").toString());
        assertEquals(1, v.code());
        assertTrue(v.err().contains("no journal directory"), v.err());
        try (Journal open = Journal.open(dir, JournalConfig.builder().build())) {
            Result a = run("x\n", "append", dir.toString());
            assertEquals(1, a.code());
            assertEquals("", a.out());
            assertTrue(a.err().contains("is locked"), a.err());
            assertEquals(0, open.lastLsn());
        }
    }

    @Test
    @Timeout(60)
    void anotherProcessCannotOpenAJournalThisProcessHolds() throws Exception {
        try (Journal held = Journal.open(dir, JournalConfig.builder().build())) {
            Process p = ChildJvm.sameJdk()
                    .jvmArgs("-Xmx64m")
                    .builder(JournalTool.class, "append", dir.toString())
                    .redirectError(ProcessBuilder.Redirect.PIPE)
                    .start();
            p.getOutputStream().write("x\n".getBytes(UTF_8));
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), UTF_8);
            assertTrue(p.waitFor(50, TimeUnit.SECONDS));
            assertEquals(1, p.exitValue(), err);
            assertEquals("", out);
            assertTrue(err.contains("is locked"), err);
            assertEquals(0, held.lastLsn());
        }
    }

    @Test
    @Timeout(60)
    void mainExitsWithTheCodeInAChildJvm() throws Exception {
        Process p = ChildJvm.sameJdk()
                .jvmArgs("-Xmx64m")
                .builder(JournalTool.class, "bogus")
                .redirectError(ProcessBuilder.Redirect.PIPE)
                .start();
        p.getOutputStream().close();
        String err = new String(p.getErrorStream().readAllBytes(), UTF_8);
        assertTrue(p.waitFor(50, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue());
        assertTrue(err.contains("usage: JournalTool COMMAND DIR"), err);
    }
}
