package io.infrablocks.journal;

import io.infrablocks.journal.internal.ChannelFactory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A fault-injecting {@link ChannelFactory}: every channel it opens writes through to the real file, and each
 * {@code force} records the file's content as durable. {@link #crash()} makes every later operation fail (the
 * process is "dead"); {@link #applyCrash()} then rewrites each file as a power loss could leave it: the durable
 * content, plus a random torn prefix of what was written after the last force, plus (sometimes) garbage.
 */
final class SimulatedDisk implements ChannelFactory {

    /** What {@link #applyCrash()} leaves after the durable content. */
    enum Tail {
        NOTHING,
        TORN,
        TORN_THEN_GARBAGE,
        GARBAGE
    }

    private final Random random;
    private final Map<Path, byte[]> durable = new ConcurrentHashMap<>();
    private volatile boolean crashed;

    SimulatedDisk(long seed) {
        this.random = new Random(seed);
    }

    @Override
    public FileChannel open(Path path, OpenOption... options) throws IOException {
        if (crashed) {
            throw new IOException("simulated crash");
        }
        FileChannel real = FileChannel.open(path, options);
        durable.putIfAbsent(path, Files.readAllBytes(path));
        return new Faulty(path, real);
    }

    /** From now on, every I/O through this disk fails. */
    void crash() {
        crashed = true;
    }

    /**
     * Rewrites every file opened through this disk to a state a crash could leave.
     *
     * @return a description of what was done per file
     * @throws IOException on I/O failure
     */
    String applyCrash() throws IOException {
        StringBuilder what = new StringBuilder();
        for (Map.Entry<Path, byte[]> e : durable.entrySet()) {
            Path p = e.getKey();
            if (!Files.exists(p)) {
                continue; // renamed (temp files) or deleted
            }
            byte[] current = Files.readAllBytes(p);
            byte[] dur = e.getValue();
            int d = 0;
            int common = Math.min(current.length, dur.length);
            while (d < common && current[d] == dur[d]) {
                d++;
            }
            if (d == current.length && current.length == dur.length) {
                continue;
            }
            Tail tail = Tail.values()[random.nextInt(Tail.values().length)];
            int torn = tail == Tail.TORN || tail == Tail.TORN_THEN_GARBAGE ? random.nextInt(current.length - d + 1) : 0;
            int garbage = tail == Tail.GARBAGE || tail == Tail.TORN_THEN_GARBAGE ? 1 + random.nextInt(64) : 0;
            byte[] result = Arrays.copyOf(dur, Math.max(dur.length, d + torn + garbage));
            System.arraycopy(current, d, result, d, torn);
            for (int i = 0; i < garbage; i++) {
                result[d + torn + i] = (byte) (1 + random.nextInt(255));
            }
            Files.write(p, result);
            what.append(p.getFileName())
                    .append(": durable ")
                    .append(dur.length)
                    .append(", written ")
                    .append(current.length)
                    .append(", first unforced byte ")
                    .append(d)
                    .append(", ")
                    .append(tail)
                    .append(" torn ")
                    .append(torn)
                    .append(" garbage ")
                    .append(garbage)
                    .append('\n');
        }
        return what.toString();
    }

    private final class Faulty extends FileChannel {
        private final Path path;
        private final FileChannel real;

        Faulty(Path path, FileChannel real) {
            this.path = path;
            this.real = real;
        }

        private void check() throws IOException {
            if (crashed) {
                throw new IOException("simulated crash");
            }
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            check();
            return real.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            check();
            return real.read(dsts, offset, length);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            check();
            return real.write(src);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            check();
            return real.write(srcs, offset, length);
        }

        @Override
        public long position() throws IOException {
            return real.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            check();
            real.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return real.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            check();
            real.truncate(size);
            return this;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            check();
            real.force(metaData);
            durable.put(path, Files.readAllBytes(path));
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            check();
            return real.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            check();
            return real.transferFrom(src, position, count);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            check();
            return real.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            check();
            return real.write(src, position);
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            throw new UnsupportedOperationException("map");
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return real.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return real.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            real.close();
        }
    }
}
