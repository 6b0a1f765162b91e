package io.infrablocks.lb;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/** Helpers shared by the tests: endpoints and a manual clock. */
final class TestSupport {

    private TestSupport() {}

    static Endpoint ep(String id) {
        return Endpoint.of(id, "127.0.0.1", 9000);
    }

    static Endpoint ep(String id, int weight) {
        return ep(id).withWeight(weight);
    }

    static List<Endpoint> eps(int n) {
        List<Endpoint> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(ep("e" + i));
        }
        return out;
    }

    /** A clock that moves only when told. */
    static final class ManualClock implements LongSupplier {
        private final AtomicLong now = new AtomicLong(1_000_000_000L);

        @Override
        public long getAsLong() {
            return now.get();
        }

        void advanceMillis(long millis) {
            now.addAndGet(millis * 1_000_000L);
        }
    }
}
