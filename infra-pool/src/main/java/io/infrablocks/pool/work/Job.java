package io.infrablocks.pool.work;

import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;

/**
 * A queued task that carries its submission time: the future of {@code submit}, or a task of {@code execute}
 * whose latencies are sampled (the others are queued as they are, without a wrapper).
 */
interface Job extends Runnable {

    /** The submission time of a task whose latencies are not sampled. */
    long NOT_SAMPLED = Long.MIN_VALUE;

    /** The submission time in the pool's time source. */
    long enqueuedAt();

    /** Sets the submission time. */
    void enqueuedAt(long nanos);

    /** The task as the user knows it (returned by {@code shutdownNow}, given to handlers). */
    Runnable task();

    /** Runs the task and returns what it threw, or null. */
    Throwable runAndCatch();

    /** A task given to {@code execute}. */
    final class Plain implements Job {
        private final Runnable task;
        private long enqueuedAt;

        Plain(Runnable task) {
            this.task = task;
        }

        @Override
        public long enqueuedAt() {
            return enqueuedAt;
        }

        @Override
        public void enqueuedAt(long nanos) {
            enqueuedAt = nanos;
        }

        @Override
        public Runnable task() {
            return task;
        }

        @Override
        public void run() {
            task.run();
        }

        @Override
        public Throwable runAndCatch() {
            try {
                task.run();
                return null;
            } catch (Throwable t) {
                return t;
            }
        }

        @Override
        public String toString() {
            return task.toString();
        }
    }

    /** A task given to {@code submit}/{@code invokeAll}/{@code invokeAny}: a future. */
    final class Submitted<V> extends FutureTask<V> implements Job {
        private long enqueuedAt = NOT_SAMPLED;
        private Throwable failure;

        Submitted(Callable<V> callable) {
            super(callable);
        }

        Submitted(Runnable runnable, V result) {
            super(runnable, result);
        }

        @Override
        public long enqueuedAt() {
            return enqueuedAt;
        }

        @Override
        public void enqueuedAt(long nanos) {
            enqueuedAt = nanos;
        }

        @Override
        public Runnable task() {
            return this;
        }

        @Override
        protected void setException(Throwable t) {
            failure = t;
            super.setException(t);
        }

        @Override
        public Throwable runAndCatch() {
            run();
            Throwable t = failure;
            failure = null;
            return t;
        }

        /** Fails this task, which will never run. */
        void drop(TaskDroppedException cause) {
            super.setException(cause);
        }
    }
}
