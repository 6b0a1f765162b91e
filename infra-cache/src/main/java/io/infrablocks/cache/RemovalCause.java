package io.infrablocks.cache;

/** Why an entry left the cache, as reported to a {@link RemovalListener}. */
public enum RemovalCause {
    /** The user removed it ({@code invalidate}, {@code asMap().remove}, a compute returning null ...). */
    EXPLICIT,
    /** The user replaced its value ({@code put}, {@code replace}, a compute returning a new value ...). */
    REPLACED,
    /** The eviction policy removed it to keep the cache within its maximum size or weight. */
    SIZE,
    /** Its time to live ({@code expireAfterWrite} or {@code expireAfterAccess}) ran out. */
    EXPIRED;

    /**
     * Whether the removal was decided by the cache rather than requested by the user.
     *
     * @return true for {@link #SIZE} and {@link #EXPIRED}
     */
    public boolean wasEvicted() {
        return this == SIZE || this == EXPIRED;
    }
}
