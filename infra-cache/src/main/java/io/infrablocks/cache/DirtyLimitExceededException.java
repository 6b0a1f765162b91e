package io.infrablocks.cache;

/**
 * A write to a {@link WriteBackCache} waited {@code dirtyTimeout} at the bound on dirty entries ({@code maxDirty})
 * and gave up: the store is not keeping up (or is down). The write was not applied and not journaled.
 */
public class DirtyLimitExceededException extends CacheException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message the cache, the bound, the dirty count and the time waited
     */
    public DirtyLimitExceededException(String message) {
        super(message);
    }
}
