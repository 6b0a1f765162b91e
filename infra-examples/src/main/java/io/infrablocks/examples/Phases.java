package io.infrablocks.examples;

import java.util.List;

/**
 * The fault script, in whole seconds of the run: normal until 1/3, then one server slow (+200 ms) to the
 * end, another stopped at 1/2 and restarted at 3/4.
 *
 * @param seconds the run's length
 * @param slowAt when the slow server turns slow
 * @param stopAt when the other server stops
 * @param restartAt when it restarts
 * @param slowServer index of the server that turns slow
 * @param stoppedServer index of the server that stops
 */
record Phases(int seconds, int slowAt, int stopAt, int restartAt, int slowServer, int stoppedServer) {

    /** One named interval of the run, {@code [from, to)} in seconds. */
    record Phase(String name, int from, int to) {}

    static Phases of(int seconds, int servers) {
        // With 3 or more servers, server 1 turns slow and server 2 stops; with 2, server 0 and server 1.
        int slow = servers >= 3 ? 1 : 0;
        int stopped = servers >= 3 ? 2 : 1;
        return new Phases(seconds, seconds / 3, seconds / 2, seconds * 3 / 4, slow, stopped);
    }

    List<Phase> list() {
        return List.of(
                new Phase("normal", 0, slowAt),
                new Phase("slow", slowAt, stopAt),
                new Phase("slow+down", stopAt, restartAt),
                new Phase("restarted", restartAt, seconds));
    }
}
