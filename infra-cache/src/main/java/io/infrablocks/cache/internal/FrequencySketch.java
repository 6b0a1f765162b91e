package io.infrablocks.cache.internal;

/**
 * A count-min sketch of 4-bit counters that estimates how often a key hash was seen recently: the TinyLFU
 * frequency histogram (G. Einziger, R. Friedman, B. Manes, "TinyLFU: A Highly Efficient Cache Admission Policy",
 * ACM Transactions on Storage 13(4), 2017; the count-min sketch is G. Cormode and S. Muthukrishnan, 2005).
 *
 * <p>Each key hash selects four counters (one per independent hash) among {@code 16 * table.length} 4-bit
 * counters packed in longs; the estimate is the minimum of the four, saturating at 15. After {@code 10 *
 * capacity} increments every counter is halved (the "reset" aging of TinyLFU), so the sketch describes the recent
 * past and stale popularity fades. The table holds one long (16 counters) per expected entry, rounded up to a
 * power of two, and grows (forgetting its counts) when the cache holds more entries than it was sized for.
 *
 * <p>Not thread-safe: used only under the cache's eviction lock. Increment and estimate are O(1); the periodic
 * halving is O(table) once per {@code 10 * capacity} increments, so O(1) amortized.
 */
final class FrequencySketch {

    private static final int MIN_CAPACITY = 16;
    private static final int MAX_CAPACITY = 1 << 26;
    private static final long HALF_MASK = 0x7777_7777_7777_7777L;

    private long[] table;
    private int counterMask;
    private long capacity;
    private long additions;
    private long resetAt;

    FrequencySketch() {
        resize(MIN_CAPACITY);
    }

    /**
     * Makes the sketch wide enough for {@code entries} resident entries (grows only; growing forgets counts).
     *
     * @param entries the number of entries the cache holds now
     */
    void ensureCapacity(long entries) {
        if (entries > capacity && capacity < MAX_CAPACITY) {
            long wanted = Long.highestOneBit(Math.max(entries - 1, 1)) << 1;
            resize((int) Math.min(wanted, MAX_CAPACITY));
        }
    }

    private void resize(int newCapacity) {
        capacity = newCapacity;
        table = new long[newCapacity];
        counterMask = newCapacity * 16 - 1;
        additions = 0;
        resetAt = 10L * newCapacity;
    }

    /** The number of entries the sketch is currently sized for. */
    long capacity() {
        return capacity;
    }

    /**
     * The estimated recent frequency of a key hash, 0 to 15.
     *
     * @param hash the key hash
     * @return the estimate
     */
    int frequency(int hash) {
        int min = 15;
        for (int i = 0; i < 4; i++) {
            min = Math.min(min, counter(index(hash, i) & counterMask));
        }
        return min;
    }

    /**
     * Records one occurrence of a key hash; every {@code 10 * capacity} recorded occurrences, halves all counters.
     *
     * @param hash the key hash
     */
    void increment(int hash) {
        boolean added = false;
        for (int i = 0; i < 4; i++) {
            int c = index(hash, i) & counterMask;
            if (counter(c) < 15) {
                table[c >>> 4] += 1L << ((c & 15) << 2);
                added = true;
            }
        }
        if (added && ++additions >= resetAt) {
            for (int i = 0; i < table.length; i++) {
                table[i] = (table[i] >>> 1) & HALF_MASK;
            }
            additions >>>= 1;
        }
    }

    private int counter(int c) {
        return (int) (table[c >>> 4] >>> ((c & 15) << 2)) & 15;
    }

    /** The i-th independent hash of a key hash (a multiply-xorshift mix with a per-row multiplier). */
    private static int index(int hash, int i) {
        int x = hash * (0x9E3779B9 + 2 * i * 0x61C88647 + 1) + i * 0x7FEB352D;
        x ^= x >>> 15;
        x *= 0x2C1B3C6D;
        x ^= x >>> 12;
        return x;
    }
}
