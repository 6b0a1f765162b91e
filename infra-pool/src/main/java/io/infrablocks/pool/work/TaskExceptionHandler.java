package io.infrablocks.pool.work;

/**
 * Receives what a task given to {@link WorkerPool#execute(Runnable)} threw, and the {@link
 * TaskDroppedException} of such a task dropped under {@link OverflowPolicy#DROP_OLDEST}. (Tasks given to
 * {@code submit} report both through their {@link java.util.concurrent.Future}.) The worker that ran the task
 * survives; if the handler itself throws, that is logged and the worker still survives.
 */
@FunctionalInterface
public interface TaskExceptionHandler {

    /**
     * Handles a task's failure. Called on the thread that ran (or dropped) the task.
     *
     * @param task the task as given to {@code execute}
     * @param error what it threw, or the {@link TaskDroppedException} if it was dropped
     */
    void handle(Runnable task, Throwable error);
}
