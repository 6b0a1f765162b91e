package io.infrablocks.examples;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * What the load generator observed, second by second: requests, errors, latency distribution and which
 * server answered. Recording is thread-safe and lock-free (HdrHistogram's {@link ConcurrentHistogram},
 * adders, atomic arrays); reading is meant for when recording has stopped, or for a progress line.
 */
final class RunSeries {

    /** Latencies are recorded in microseconds, up to a minute, with 3 significant digits. */
    private static final long MAX_LATENCY_MICROS = 60_000_000L;

    private final int seconds;
    private final int servers;
    private final LongAdder[] requests;
    private final LongAdder[] errors;
    private final ConcurrentHistogram[] latency;
    /** servedBy[second * servers + server]. */
    private final AtomicLongArray servedBy;

    RunSeries(int seconds, int servers) {
        this.seconds = seconds;
        this.servers = servers;
        requests = new LongAdder[seconds];
        errors = new LongAdder[seconds];
        latency = new ConcurrentHistogram[seconds];
        for (int i = 0; i < seconds; i++) {
            requests[i] = new LongAdder();
            errors[i] = new LongAdder();
            latency[i] = new ConcurrentHistogram(MAX_LATENCY_MICROS, 3);
        }
        servedBy = new AtomicLongArray(seconds * servers);
    }

    int seconds() {
        return seconds;
    }

    int servers() {
        return servers;
    }

    /**
     * Records one request.
     *
     * @param second the second of the run it started in (clamped to the series)
     * @param micros its latency
     * @param ok whether it succeeded
     * @param server the server that answered, or -1 when none did
     */
    void record(int second, long micros, boolean ok, int server) {
        int s = Math.max(0, Math.min(seconds - 1, second));
        requests[s].increment();
        if (!ok) {
            errors[s].increment();
        }
        latency[s].recordValue(Math.max(1, Math.min(MAX_LATENCY_MICROS, micros)));
        if (server >= 0 && server < servers) {
            servedBy.incrementAndGet(s * servers + server);
        }
    }

    long requests(int second) {
        return requests[second].sum();
    }

    long errors(int second) {
        return errors[second].sum();
    }

    long servedBy(int second, int server) {
        return servedBy.get(second * servers + server);
    }

    /** The latency distribution of one second, in microseconds. */
    Histogram latency(int second) {
        return latency[second];
    }

    /** The latency distribution of seconds {@code [from, to)}, in microseconds. */
    Histogram latency(int from, int to) {
        Histogram h = new Histogram(MAX_LATENCY_MICROS, 3);
        for (int s = Math.max(0, from); s < Math.min(seconds, to); s++) {
            h.add(latency[s]);
        }
        return h;
    }

    long totalRequests() {
        long n = 0;
        for (int s = 0; s < seconds; s++) {
            n += requests(s);
        }
        return n;
    }

    long totalErrors() {
        long n = 0;
        for (int s = 0; s < seconds; s++) {
            n += errors(s);
        }
        return n;
    }

    /** Requests served by {@code server} in seconds {@code [from, to)}. */
    long servedBy(int server, int from, int to) {
        long n = 0;
        for (int s = Math.max(0, from); s < Math.min(seconds, to); s++) {
            n += servedBy(s, server);
        }
        return n;
    }
}
