package io.infrablocks.pool.work;

import io.infrablocks.pool.PoolException;

/**
 * The failure of a task that a {@link WorkerPool} accepted but then dropped to make room for a newer one
 * under {@link OverflowPolicy#DROP_OLDEST}: the task never ran.
 */
public class TaskDroppedException extends PoolException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message what happened and the state involved
     */
    public TaskDroppedException(String message) {
        super(message);
    }
}
