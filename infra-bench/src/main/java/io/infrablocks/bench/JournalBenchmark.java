package io.infrablocks.bench;

import io.infrablocks.journal.Durability;
import io.infrablocks.journal.Journal;
import io.infrablocks.journal.JournalConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * The journal against the disk's own limits, in the same run.
 *
 * <ul>
 *   <li>(a) non-durable append ({@link Durability#none()}) of {@code size}-byte records, {@code journalAppend},
 *       against a raw {@link FileChannel#write(ByteBuffer)} loop of the same size, {@code rawWrite}. Target:
 *       ≥ 0.7× raw.
 *   <li>(b) durable ({@link Durability#sync()}) commits per second with 1, 8 and 64 concurrent committers,
 *       {@code syncCommit1/8/64}, against one write + force per commit, {@code rawForcePerCommit}. Target: 64
 *       committers ≥ 20× the single-committer rate.
 *   <li>(c) recovery: {@code recoverOpen} opens (scans, verifies) a journal of {@code recoveryMiB} MiB written
 *       without a checkpoint; time per GiB = score × 1024 / recoveryMiB.
 * </ul>
 *
 * <p>{@code preallocate} compares zero-filled segments against growing files. Files live under
 * {@code -Dinfra.bench.dir} (default: the temporary directory) and are deleted after each iteration.
 *
 * <p>Run: {@code java -jar infra-bench/target/benchmarks.jar JournalBenchmark -f 1 -wi 2 -w 1s -i 3 -r 1s}.
 */
public class JournalBenchmark {

    static Path newDir(String prefix) {
        try {
            String base = System.getProperty("infra.bench.dir");
            return base == null ? Files.createTempDirectory(prefix) : Files.createTempDirectory(Path.of(base), prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void delete(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] payload(int size) {
        byte[] b = new byte[size];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    // ------------------------------------------------------------------------------------ (a) non-durable

    /** A NONE-durability journal, recreated for each iteration. */
    @State(Scope.Benchmark)
    public static class AppendState {
        /** Record size in bytes. */
        @Param({"100", "4096"})
        public int size;

        /** Whether segments are preallocated. */
        @Param({"false", "true"})
        public boolean preallocate;

        Path dir;
        Journal journal;
        byte[] record;

        /** Opens the journal. */
        @Setup(Level.Iteration)
        public void open() {
            dir = newDir("journal-append");
            journal = Journal.open(
                    dir,
                    JournalConfig.builder()
                            .durability(Durability.none())
                            .preallocate(preallocate)
                            .build());
            record = payload(size);
        }

        /** Closes and deletes the journal. */
        @TearDown(Level.Iteration)
        public void close() {
            journal.close();
            delete(dir);
        }
    }

    /** A raw file appended to, recreated for each iteration. */
    @State(Scope.Benchmark)
    public static class RawState {
        /** Record size in bytes. */
        @Param({"100", "4096"})
        public int size;

        Path dir;
        FileChannel channel;
        ByteBuffer record;

        /** Opens the file. */
        @Setup(Level.Iteration)
        public void open() throws IOException {
            dir = newDir("journal-raw");
            channel = FileChannel.open(dir.resolve("raw"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            record = ByteBuffer.allocateDirect(size);
            record.put(payload(size)).flip();
        }

        /** Closes and deletes the file. */
        @TearDown(Level.Iteration)
        public void close() throws IOException {
            channel.close();
            delete(dir);
        }
    }

    /**
     * One non-durable journal append.
     *
     * @param s the journal
     * @return the LSN
     */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public long journalAppend(AppendState s) {
        return s.journal.append(s.record);
    }

    /**
     * One raw sequential write of the same size.
     *
     * @param s the file
     * @return bytes written
     * @throws IOException on I/O failure
     */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public int rawWrite(RawState s) throws IOException {
        s.record.clear();
        return s.channel.write(s.record);
    }

    // ---------------------------------------------------------------------------------------- (b) durable

    /** A SYNC journal shared by all benchmark threads, recreated for each iteration. */
    @State(Scope.Benchmark)
    public static class SyncState {
        /** Whether segments are preallocated. */
        @Param({"false", "true"})
        public boolean preallocate;

        Path dir;
        Journal journal;
        byte[] record;

        /** Opens the journal. */
        @Setup(Level.Iteration)
        public void open() {
            dir = newDir("journal-sync");
            journal = Journal.open(
                    dir,
                    JournalConfig.builder()
                            .durability(Durability.sync())
                            .preallocate(preallocate)
                            .build());
            record = payload(100);
        }

        /** Closes and deletes the journal. */
        @TearDown(Level.Iteration)
        public void close() {
            journal.close();
            delete(dir);
        }
    }

    /** A raw file written and forced once per commit. */
    @State(Scope.Benchmark)
    public static class RawSyncState {
        Path dir;
        FileChannel channel;
        ByteBuffer record;

        /** Opens the file. */
        @Setup(Level.Iteration)
        public void open() throws IOException {
            dir = newDir("journal-rawsync");
            channel = FileChannel.open(dir.resolve("raw"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            record = ByteBuffer.allocateDirect(100);
            record.put(payload(100)).flip();
        }

        /** Closes and deletes the file. */
        @TearDown(Level.Iteration)
        public void close() throws IOException {
            channel.close();
            delete(dir);
        }
    }

    /**
     * A durable commit, one committer.
     *
     * @param s the journal
     * @return the LSN
     */
    @Benchmark
    @Threads(1)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public long syncCommit1(SyncState s) {
        return s.journal.append(s.record);
    }

    /**
     * A durable commit, 8 concurrent committers (score = all threads' commits per second).
     *
     * @param s the journal
     * @return the LSN
     */
    @Benchmark
    @Threads(8)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public long syncCommit8(SyncState s) {
        return s.journal.append(s.record);
    }

    /**
     * A durable commit, 64 concurrent committers (score = all threads' commits per second).
     *
     * @param s the journal
     * @return the LSN
     */
    @Benchmark
    @Threads(64)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public long syncCommit64(SyncState s) {
        return s.journal.append(s.record);
    }

    /**
     * The baseline: a 100-byte write and a force (fdatasync) per commit.
     *
     * @param s the file
     * @return bytes written
     * @throws IOException on I/O failure
     */
    @Benchmark
    @Threads(1)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public int rawForcePerCommit(RawSyncState s) throws IOException {
        s.record.clear();
        int n = s.channel.write(s.record);
        s.channel.force(false);
        return n;
    }

    // --------------------------------------------------------------------------------------- (c) recovery

    /** A journal of {@code recoveryMiB} MiB of 4 KiB records, written once per trial. */
    @State(Scope.Benchmark)
    public static class RecoveryState {
        /** Size of the journal to recover, in MiB (scaled down from 1 GiB for the shared machine). */
        @Param({"256"})
        public int recoveryMiB;

        Path dir;
        JournalConfig config;

        /** Writes the journal. */
        @Setup(Level.Trial)
        public void write() {
            dir = newDir("journal-recovery");
            config = JournalConfig.builder().durability(Durability.none()).build();
            byte[] rec = payload(4096);
            long records = (long) recoveryMiB * 1024 * 1024 / (4096 + 44);
            try (Journal j = Journal.open(dir, config)) {
                for (long i = 0; i < records; i++) {
                    j.append(rec);
                }
            }
        }

        /** Deletes the journal. */
        @TearDown(Level.Trial)
        public void delete() {
            JournalBenchmark.delete(dir);
        }
    }

    /**
     * Opens (recovers: reads and checks every record) and closes the journal.
     *
     * @param s the journal to recover
     * @return its last LSN
     */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public long recoverOpen(RecoveryState s) {
        try (Journal j = Journal.open(s.dir, s.config)) {
            return j.lastLsn();
        }
    }
}
