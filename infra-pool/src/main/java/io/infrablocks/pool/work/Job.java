package io.infrablocks.pool.work;

import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;

/** A queued unit of work: the user's task plus its submission time. */
interface Job extends Runnable {

    /** The submission time in the pool's time source. */
    long enqueuedAt();

    /** Sets the submission time. */
    void enqueuedAt(long nanos);

    /** The task as the user knows it (returned by {@code shutdownNow}, given to handlers). */
    Runnable task();

    /** Runs the task and returns what it threw, or null. */
    Throwable runAndCatch();

    /** Whether a failure is reported to the pool's {@link TaskExceptionHandler} (tasks of execute). */
    boolean reportsToHandler();

    /** Fails a task that will never run (only the future of submit can carry it). */
    void drop(TaskDroppedException cause);

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
        public boolean reportsToHandler() {
            return true;
        }

        @Override
        public void drop(TaskDroppedException cause) {
            // reported to the handler by the pool
        }

        @Override
        public String toString() {
            return task.toString();
        }
    }

    /** A task given to {@code submit}/{@code invokeAll}/{@code invokeAny}: a future. */
    final class Submitted<V> extends FutureTask<V> implements Job {
        private long enqueuedAt;
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

        @Override
        public boolean reportsToHandler() {
            return false;
        }

        @Override
        public void drop(TaskDroppedException cause) {
            super.setException(cause);
        }
    }
}
