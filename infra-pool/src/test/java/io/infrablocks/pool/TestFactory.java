package io.infrablocks.pool;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A resource factory for tests: counts live resources, can be made to fail creation or validation. */
public final class TestFactory implements ResourceFactory<TestFactory.Res> {

    /** A test resource. */
    public static final class Res {
        /** Sequence number. */
        public final int id;
        /** Whether validation should fail. */
        public volatile boolean broken;
        /** Whether it was destroyed. */
        public volatile boolean destroyed;

        Res(int id) {
            this.id = id;
        }

        @Override
        public String toString() {
            return "Res" + id;
        }
    }

    /** Created so far. */
    public final AtomicInteger created = new AtomicInteger();
    /** Live now (created and not destroyed). */
    public final AtomicInteger live = new AtomicInteger();
    /** Highest live count seen. */
    public final AtomicInteger maxLive = new AtomicInteger();
    /** Validation calls. */
    public final AtomicInteger validations = new AtomicInteger();
    /** When true, create() throws. */
    public final AtomicBoolean down = new AtomicBoolean();

    /** A working factory. */
    public TestFactory() {}

    @Override
    public Res create() throws Exception {
        if (down.get()) {
            throw new java.io.IOException("backend down");
        }
        int n = live.incrementAndGet();
        maxLive.accumulateAndGet(n, Math::max);
        return new Res(created.incrementAndGet());
    }

    @Override
    public boolean validate(Res resource) {
        validations.incrementAndGet();
        return !resource.broken;
    }

    @Override
    public void destroy(Res resource) {
        if (resource.destroyed) {
            throw new IllegalStateException("destroyed twice: " + resource);
        }
        resource.destroyed = true;
        live.decrementAndGet();
    }
}
