package io.infrablocks.journal;

import io.infrablocks.journal.internal.Recovery;
import io.infrablocks.journal.internal.SegmentDump;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * The journal's command-line tool:
 * {@code java -cp <infra-journal jar and slf4j-api> io.infrablocks.journal.JournalTool COMMAND DIR}.
 *
 * <ul>
 *   <li>{@code verify}: checks every segment after the checkpoint without changing anything; prints the
 *       segments, the number of committed transactions and the last LSN; exit code 0 when the journal is
 *       consistent (a torn tail, which a crash leaves, counts as consistent and is reported), 1 with the segment
 *       and offset when it is corrupt or unreadable.
 *   <li>{@code dump}: prints every record of every segment, one line each.
 *   <li>{@code append}: commits each line of standard input (UTF-8) as one transaction with
 *       {@link Durability#sync()}; after each commit is durable prints {@code ack <n>} (n = line number from 1)
 *       and flushes. Lines are committed concurrently (group commit); acks are printed in line order.
 *   <li>{@code replay}: prints the records of the committed transactions after the checkpoint as UTF-8 lines, in
 *       commit order, without changing anything.
 * </ul>
 *
 * <p>Bad arguments print the usage on standard error with exit code 2.
 */
public final class JournalTool {

    /** The usage text. */
    static final String USAGE = String.join(
            System.lineSeparator(),
            "usage: JournalTool COMMAND DIR",
            "commands:",
            "  verify   check the journal read-only; exit 0 when consistent (a torn tail counts as consistent),",
            "           1 with segment and offset when corrupt",
            "  dump     print every record of every segment",
            "  append   commit each line of standard input as one transaction (SYNC); print \"ack <n>\" once durable",
            "  replay   print the records of committed transactions after the checkpoint as UTF-8 lines");

    private static final int IN_FLIGHT = 256;

    private JournalTool() {}

    /**
     * Runs the tool and exits with its exit code.
     *
     * @param args {@code COMMAND DIR}
     */
    public static void main(String[] args) {
        int code = run(args, System.in, System.out, System.err);
        System.out.flush();
        System.exit(code);
    }

    /**
     * Runs the tool.
     *
     * @param args {@code COMMAND DIR}
     * @param in standard input
     * @param out standard output
     * @param err standard error
     * @return the exit code: 0 success, 1 failure (corrupt journal, I/O error), 2 bad arguments
     */
    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        if (args == null || args.length != 2) {
            err.println(USAGE);
            return 2;
        }
        String command = args[0];
        Path dir = Path.of(args[1]);
        if (!command.equals("verify")
                && !command.equals("dump")
                && !command.equals("append")
                && !command.equals("replay")) {
            err.println("unknown command: " + command);
            err.println(USAGE);
            return 2;
        }
        if (!command.equals("append") && !Files.isDirectory(dir)) {
            err.println("no journal directory: " + dir);
            return 1;
        }
        try {
            switch (command) {
                case "verify":
                    return verify(dir, out);
                case "dump":
                    SegmentDump.dump(dir, out);
                    return 0;
                case "append":
                    return append(dir, in, out, err);
                default:
                    return replay(dir, out);
            }
        } catch (JournalCorruptedException e) {
            out.println("CORRUPT: " + e.getMessage());
            err.println(e.getMessage());
            return 1;
        } catch (JournalException e) {
            err.println("error: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("error: " + e);
            return 1;
        }
    }

    private static int verify(Path dir, PrintStream out) throws IOException {
        Recovery.Plan plan = Recovery.analyze(dir, RecoveryMode.TOLERATE_CORRUPTED_TAIL, null);
        out.println("segments: " + plan.live().size());
        for (Recovery.Segment s : plan.live()) {
            out.println(
                    "  " + s.path().getFileName() + " base LSN " + s.base() + ", " + Files.size(s.path()) + " bytes");
        }
        for (Path p : plan.delete()) {
            out.println("  " + p.getFileName() + " wholly before the checkpoint (deleted at next open)");
        }
        out.println("transactions: " + plan.transactions());
        out.println("last LSN: " + Math.max(plan.lastLsn(), plan.checkpointLsn()));
        out.println("checkpoint LSN: " + plan.checkpointLsn());
        for (String w : plan.warnings()) {
            out.println("note: " + w);
        }
        out.println("OK");
        return 0;
    }

    private static int replay(Path dir, PrintStream out) throws IOException {
        Recovery.analyze(dir, RecoveryMode.TOLERATE_CORRUPTED_TAIL, tx -> {
            for (ByteBuffer r : tx.records()) {
                byte[] b = new byte[r.remaining()];
                r.duplicate().get(b);
                out.println(new String(b, StandardCharsets.UTF_8));
            }
        });
        out.flush();
        return 0;
    }

    private record Ack(long line, CompletableFuture<Long> future) {}

    private static final Ack END = new Ack(-1, null);

    private static void hand(BlockingQueue<Ack> acks, Ack a, Thread printer) throws InterruptedException {
        while (!acks.offer(a, 100, TimeUnit.MILLISECONDS)) {
            if (!printer.isAlive()) {
                return;
            }
        }
    }

    private static int append(Path dir, InputStream in, PrintStream out, PrintStream err) throws IOException {
        JournalConfig config = JournalConfig.builder()
                .name("tool")
                .durability(Durability.sync())
                .build();
        try (Journal journal = Journal.open(dir, config)) {
            BlockingQueue<Ack> acks = new ArrayBlockingQueue<>(IN_FLIGHT);
            int[] result = {0};
            Thread printer = new Thread(
                    () -> {
                        try {
                            while (true) {
                                Ack a = acks.take();
                                if (a == END) {
                                    return;
                                }
                                try {
                                    a.future().join();
                                } catch (CompletionException e) {
                                    err.println("error: line " + a.line() + " not committed: " + e.getCause());
                                    result[0] = 1;
                                    return;
                                }
                                out.println("ack " + a.line());
                                out.flush();
                            }
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    },
                    "infra-journal-tool-acks");
            printer.setDaemon(true);
            printer.start();
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            long n = 0;
            try {
                while ((line = reader.readLine()) != null && printer.isAlive()) {
                    n++;
                    hand(acks, new Ack(n, journal.appendAsync(line.getBytes(StandardCharsets.UTF_8))), printer);
                }
                hand(acks, END, printer);
                printer.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
            return result[0];
        }
    }
}
