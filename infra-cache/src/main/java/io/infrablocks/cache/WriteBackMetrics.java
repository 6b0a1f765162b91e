package io.infrablocks.cache;

/**
 * An immutable snapshot of a {@link WriteBackCache}'s counters, from {@link WriteBackCache#metrics()}.
 *
 * @param dirtyCount keys whose latest write is not yet stored
 * @param oldestDirtyAgeNanos how long the oldest unstored write has waited, 0 when nothing is dirty
 * @param writes puts and deletes accepted
 * @param storedWrites key states written to the store successfully (after coalescing)
 * @param storeBatches store calls ({@code writeAll} or {@code deleteAll}) made
 * @param maxBatchSize the most keys in one store call
 * @param storeFailures store calls that failed wholly or partly
 * @param storeTotalNanos time spent in store calls
 * @param storeMaxNanos the longest store call
 * @param retries key attempts scheduled again after a failure
 * @param deadLetters writes handed to the dead-letter handler
 * @param flushes {@link WriteBackCache#flush()} calls
 * @param backpressureWaits writes that waited at the dirty bound
 * @param backpressureTimeouts writes rejected after waiting {@code dirtyTimeout} at the bound
 * @param replayedWrites writes replayed from the journal when the cache opened
 */
public record WriteBackMetrics(
        long dirtyCount,
        long oldestDirtyAgeNanos,
        long writes,
        long storedWrites,
        long storeBatches,
        long maxBatchSize,
        long storeFailures,
        long storeTotalNanos,
        long storeMaxNanos,
        long retries,
        long deadLetters,
        long flushes,
        long backpressureWaits,
        long backpressureTimeouts,
        long replayedWrites) {

    /**
     * The mean number of keys per store call.
     *
     * @return the mean, 0 before the first call
     */
    public double meanBatchSize() {
        return storeBatches == 0 ? 0 : (double) (storedWrites) / storeBatches;
    }

    /**
     * The mean duration of a store call.
     *
     * @return nanoseconds, 0 before the first call
     */
    public double meanStoreNanos() {
        return storeBatches == 0 ? 0 : (double) storeTotalNanos / storeBatches;
    }

    /**
     * Writes accepted per key state stored: how much coalescing saved the store (1 = nothing coalesced).
     *
     * @return the ratio, 0 before anything was stored
     */
    public double coalescingRatio() {
        return storedWrites == 0 ? 0 : (double) writes / storedWrites;
    }
}
