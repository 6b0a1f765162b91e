package io.infrablocks.cache;

import io.infrablocks.cache.jdbc.JdbcCacheStore;
import io.infrablocks.testing.DriverManagerDataSource;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The child JVM of {@link WriteBackCrashTest}: opens a durable write-back cache over a file or H2 store
 * (replaying what the last run left in the journal), flushes, prints the table ({@code ROW key value}, then
 * {@code READY}), then writes until killed, printing {@code B key version} before and {@code A key version}
 * after each acknowledged write. Version {@code v} of a key is a delete when {@code v % 7 == 0}, else a put of
 * the value {@code v}.
 *
 * <p>Arguments: journal directory, store path, first version, threads, keys per thread, store kind ({@code
 * file}: an append-only file, the default; {@code h2}: {@link JdbcCacheStore} over an H2 file database).
 */
public final class WriteBackCrashChild {

    static final String TABLE = "wb_crash";

    private WriteBackCrashChild() {}

    static boolean isDelete(long version) {
        return version % 7 == 0;
    }

    static String url(String dbPath) {
        return "jdbc:h2:file:" + dbPath + ";WRITE_DELAY=0";
    }

    public static void main(String[] args) throws Exception {
        Path journal = Path.of(args[0]);
        String url = url(args[1]);
        long firstVersion = Long.parseLong(args[2]);
        int threads = Integer.parseInt(args[3]);
        int keysPerThread = Integer.parseInt(args[4]);
        String storeKind = args.length > 5 ? args[5] : "file";
        Thread orphanGuard = new Thread(() -> {
            try {
                while (System.in.read() != -1) {
                    // the parent holds our stdin open while it lives
                }
            } catch (IOException e) {
                // treated as the parent's end
            }
            Runtime.getRuntime().halt(3);
        });
        orphanGuard.setDaemon(true);
        orphanGuard.start();
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        CacheStore<String, String> store;
        if (storeKind.equals("h2")) {
            try (Connection c = DriverManager.getConnection(url);
                    Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (k VARCHAR(50) PRIMARY KEY, v VARBINARY(100))");
            }
            store = JdbcCacheStore.builder(new DriverManagerDataSource(url, "", ""), String.class, Codec.utf8())
                    .table(TABLE)
                    .build();
        } else {
            store = new FileStore(Path.of(args[1] + ".log"));
        }
        WriteBackCache<String, String> cache = CacheBuilder.newBuilder()
                .maximumSize(50)
                .writeBack(store)
                .name("crash")
                .maxDelay(Duration.ofMillis(50))
                .batchSize(64)
                .journal(journal)
                .codecs(Codec.utf8(), Codec.utf8())
                .build();
        cache.flush().get(60, TimeUnit.SECONDS);
        if (store instanceof FileStore fileStore) {
            for (Map.Entry<String, String> e : fileStore.read().entrySet()) {
                out.println("ROW " + e.getKey() + " " + e.getValue());
            }
        } else {
            try (Connection c = DriverManager.getConnection(url);
                    Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT k, v FROM " + TABLE)) {
                while (rs.next()) {
                    out.println("ROW " + rs.getString(1) + " " + new String(rs.getBytes(2), StandardCharsets.UTF_8));
                }
            }
        }
        out.println("READY");
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Thread writer = new Thread(() -> {
                long[] next = new long[keysPerThread];
                java.util.Arrays.fill(next, firstVersion);
                for (long round = 0; ; round++) {
                    int i = (int) (round % keysPerThread);
                    String key = "t" + thread + "k" + i;
                    long version = next[i]++;
                    out.println("B " + key + " " + version);
                    if (isDelete(version)) {
                        cache.delete(key);
                    } else {
                        cache.put(key, Long.toString(version));
                    }
                    out.println("A " + key + " " + version);
                }
            });
            writer.start();
        }
        Thread.currentThread().join();
    }

    /**
     * A store appending one line per put ({@code P key value}) or delete ({@code D key}) to a file, one write
     * call per batch: what the OS has survives kill -9 (not a power loss; this test kills processes only).
     */
    static final class FileStore implements CacheStore<String, String> {
        private final Path file;
        private final FileChannel channel;

        FileStore(Path file) throws IOException {
            this.file = file;
            this.channel = FileChannel.open(
                    file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        }

        Map<String, String> read() throws IOException {
            Map<String, String> state = new TreeMap<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String[] p = line.split(" ");
                if (p[0].equals("P") && p.length == 3) {
                    state.put(p[1], p[2]);
                } else if (p[0].equals("D") && p.length == 2) {
                    state.remove(p[1]);
                }
            }
            return state;
        }

        @Override
        public String load(String key) {
            try {
                return read().get(key);
            } catch (IOException e) {
                throw new CacheStoreException("read failed", e);
            }
        }

        @Override
        public void writeAll(Map<? extends String, ? extends String> entries) {
            StringBuilder sb = new StringBuilder();
            entries.forEach(
                    (k, v) -> sb.append("P ").append(k).append(' ').append(v).append('\n'));
            append(sb);
        }

        @Override
        public void deleteAll(Collection<? extends String> keys) {
            StringBuilder sb = new StringBuilder();
            keys.forEach(k -> sb.append("D ").append(k).append('\n'));
            append(sb);
        }

        private synchronized void append(StringBuilder sb) {
            // A database's latency: writes keep coming while a batch is being stored.
            java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L);
            ByteBuffer buf = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
            try {
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
            } catch (IOException e) {
                throw new CacheStoreException("append failed", e);
            }
        }
    }
}
