package io.infrablocks.cache.internal;

import java.util.List;

/**
 * The ADAPTIVE eviction policy: W-TinyLFU whose window size is tuned continuously by paired ghost simulations.
 *
 * <p><b>Algorithm.</b> The resident entries live in a {@link WindowTinyLfu}: a small LRU <em>window</em> that
 * takes every new entry, and a segmented-LRU <em>main space</em> guarded by the TinyLFU admission filter (a
 * window candidate replaces the main space's victim only if a {@link FrequencySketch} says it was requested more
 * often). A big window behaves like LRU (recency-friendly workloads); a small one like a frequency-filtered SLRU
 * (scans, loops, skewed popularity). The right share differs per workload and over time, so it is learned:
 * <ul>
 *   <li>Two <em>ghost simulations</em> replay the same request stream through the same layout with the window
 *       set a little smaller ({@code f - 0.1}) and a little larger ({@code f + 0.1}) than the real one
 *       ({@code f}). Ghosts hold only a key hash and a weight (no key, no value) and share the real frequency
 *       sketch, so they see exactly the admission decisions the real cache would see.</li>
 *   <li>They run on a spatial sample of the keys (hash-sampled at rate 2<sup>-b</sup>, with a ghost capacity of
 *       {@code maximum * 2^-b} &le; {@value #GHOST_CAPACITY}), so their cost is bounded whatever the cache
 *       size: the SHARDS sampling and miniature-simulation ideas of C. Waldspurger et al., "Efficient MRC
 *       Construction with SHARDS" (USENIX FAST 2015) and "Cache Modeling and Optimization using Miniature
 *       Simulations" (USENIX ATC 2017).</li>
 *   <li>Every time the ghosts have seen {@value #PERIOD} sampled requests, the requests on which exactly
 *       one ghost hit are compared (a sign test on paired outcomes): if one side leads by more than one standard
 *       deviation ({@code |a - b| > sqrt(a + b)}), {@code f} moves one step towards it and the evidence
 *       restarts; otherwise the evidence is halved and kept. The step is {@value #STEP} of the maximum, doubled
 *       on each further decision in the same direction up to {@value #MAX_STEP} (a long way to go is
 *       covered quickly; a reversal or an undecided period falls back to the small step). Comparing the two
 *       variants on the <em>same</em> requests removes the noise that defeats plain hill climbing (which
 *       compares hit ratios of different periods), so the policy converges quickly and stays put on stable
 *       workloads. This replaces Caffeine's hill climber (G. Einziger, O. Eytan, R. Friedman, B. Manes,
 *       "Adaptive Software Cache Management", Middleware 2018).</li>
 *   <li>Sampled ghosts are sized on the real cache, not on the proportional share: once per period each ghost's
 *       maximum is set to the weight of the real cache's resident entries that fall in the sample (tracked
 *       exactly on every add, removal and eviction). SHARDS' proportional capacity {@code maximum * 2^-b} is
 *       wrong exactly where it matters most, at a cliff: a loop of 5,000 keys whose sample happens to hold 575
 *       keys fits a proportional ghost of 612 entries while the loop does not fit the cache of 4,900; the real
 *       cache holds only 564 of those sampled keys, and a ghost of that size does not fit the sample either. This
 *       is in the spirit of SHARDS' correction for the difference between the expected and the actual number
 *       of sampled keys (Waldspurger et al. 2015), applied to the simulated capacity.</li>
 *   <li>Local search cannot see past a flat stretch: on recency-dominated workloads every layout with a main
 *       space loses about as much to admission filtering, and only the pure LRU end ({@code f = 1}) wins. A third
 *       ghost runs plain LRU and is compared with the real cache (again paired: requests where exactly one of them
 *       hit). If LRU leads by more than {@value #RECENCY_Z} standard deviations of evidence decayed by
 *       {@value #RECENCY_DECAY} per period, the window jumps to 100% on trial: the jump stands if the real
 *       hit ratio of the next period is strictly higher than that of the period before, or if, during that period,
 *       the real cache won more paired requests than the smaller ghost, which keeps the window of before the jump
 *       for the trial (a paired test is not fooled by a scan that happens to fall into the trial period, which
 *       sank the hit ratio alone on mixed workloads); otherwise the window goes
 *       back and further jumps wait 2, 4, 8... periods. The lead is checked every {@value #EARLY_JUMP} sampled
 *       requests, so a decisive one jumps without waiting for the period's end. Evidence gathered while the cache was not full for the
 *       whole period is discarded (filling a cache says nothing about its policy; a jump decided then would stand
 *       on the trial just because the period before had no hits). With the cache-sized ghosts above this also
 *       holds for sampled ghosts, so large caches get the safety net too (in session 3 it was limited to caches
 *       of at most {@value #GHOST_CAPACITY} entries, and recency workloads in bigger caches missed their target
 *       by up to 1.5 points while the local search climbed).</li>
 * </ul>
 * The window starts at 1% of the maximum (frequency-biased, so a cold cache is scan resistant from the start).
 * Explicit removals and updates are not replayed in the ghosts: they model the request stream only.
 *
 * <p><b>Concurrency.</b> None inside: the cache calls every method under its eviction lock (see
 * {@link EvictionPolicy}), and every field here, in the layout, the sketch and the ghosts, is guarded by it.
 *
 * <p><b>Complexity.</b> Access, add, update, remove and evict are O(1) amortized: O(1) list splices, four
 * sketch counters, and for sampled keys two or three ghost steps of the same cost plus an open-addressing lookup. The
 * sketch halves its counters once per {@code 10 * capacity} increments, and after a window change each call moves
 * at most {@value WindowTinyLfu#TRANSFER_BUDGET} entries between queues. When the sample rate changes (the cache first
 * fills with weights other than 1, or its maximum changes) one O(entries) walk recounts the sampled weight. Memory
 * beyond the entries: the sketch (8 bytes per entry) and at most {@code 3 * 2 * }{@value #GHOST_CAPACITY} ghost
 * nodes (a cache-sized ghost is capped at twice its proportional share).
 */
public final class AdaptivePolicy implements EvictionPolicy {

    /** Largest number of entries a ghost simulation holds (sampling keeps it at or below this). */
    static final int GHOST_CAPACITY = 1024;

    /** Sampled requests per decision period (whatever the cache size: the sign test needs enough pairs). */
    static final int PERIOD = 1024;

    /** How far the window moves on a first decision in one direction, as a share of the maximum. */
    static final double STEP = 0.02;

    /** The largest move: repeated decisions in one direction double the step up to this. */
    static final double MAX_STEP = 0.08;

    /** How far from the real window each ghost's window is set, as a share of the maximum. */
    static final double SPREAD = 0.1;

    /**
     * How many standard deviations plain LRU must lead the real cache by before the window jumps to 100%: a
     * safety net for a decisive, sustained lead only (the evidence decays by {@value #RECENCY_DECAY} a period).
     */
    static final double RECENCY_Z = 9.0;

    /** Per-period decay of the evidence comparing the real cache with plain LRU (about ten periods of memory). */
    static final double RECENCY_DECAY = 0.9;

    /**
     * Sampled requests between checks of the recency evidence within a period: a decisive lead of plain LRU jumps
     * at once instead of at the period's end (the trial still judges the jump over one whole period).
     */
    static final int EARLY_JUMP = 128;

    /** Initial window share of the maximum. */
    static final double INITIAL_WINDOW = 0.01;

    private final FrequencySketch sketch = new FrequencySketch();
    private final WindowTinyLfu main;
    private long maximum;

    private double windowFraction = INITIAL_WINDOW;
    private int sampleShift;
    private boolean sampleShiftFromCount;
    private Ghost smaller;
    private Ghost larger;
    private Ghost recency;
    private double realWins;
    private double recencyWins;
    private long periodHits;
    private long periodRequests;
    private boolean jumpOnTrial;
    private double fractionBeforeJump = INITIAL_WINDOW;
    private double hitRateBeforeJump;
    private long trialRealWins;
    private long trialGhostWins;
    private int jumpBackoff = 1;
    private int periodsUntilJump;
    private long sampledRequests;
    private long sampledWeight;
    private boolean fullAtPeriodStart;
    private double smallerWins;
    private double largerWins;
    private double step = STEP;
    private int lastDirection;

    /**
     * Creates the policy.
     *
     * @param maximum the bound on the total weight, not negative
     */
    public AdaptivePolicy(long maximum) {
        if (maximum < 0) {
            throw new IllegalArgumentException("maximum must be >= 0 but was " + maximum);
        }
        this.maximum = maximum;
        this.main = new WindowTinyLfu(maximum, windowFraction, sketch, true);
        this.sampleShift = shiftFor(maximum);
        resetGhosts();
    }

    @Override
    public void onAccess(PolicyNode node) {
        sketch.increment(node.keyHash());
        main.onAccess(node);
        replay(node, true);
    }

    @Override
    public void onAdd(PolicyNode node) {
        main.onAdd(node);
        if (inSample(node.keyHash())) {
            sampledWeight += node.policyWeight();
        }
        sketch.ensureCapacity(main.count());
        sketch.increment(node.keyHash());
        replay(node, false);
    }

    @Override
    public void onUpdate(PolicyNode node, long oldWeight) {
        if (inSample(node.keyHash())) {
            sampledWeight += node.policyWeight() - oldWeight;
        }
        sketch.increment(node.keyHash());
        main.onUpdate(node, oldWeight);
    }

    @Override
    public void onRemove(PolicyNode node) {
        main.onRemove(node);
        if (inSample(node.keyHash())) {
            sampledWeight -= node.policyWeight();
        }
    }

    @Override
    public PolicyNode evict() {
        if (!sampleShiftFromCount) {
            // First time full: size the ghost sample on the real number of entries (weights may not be 1).
            sampleShiftFromCount = true;
            int shift = shiftFor(main.count());
            if (shift != sampleShift) {
                sampleShift = shift;
                sampledWeight = main.weightWhere(this::inSample);
                resetGhosts();
            }
        }
        PolicyNode victim = main.evict();
        if (victim != null && inSample(victim.keyHash())) {
            sampledWeight -= victim.policyWeight();
        }
        return victim;
    }

    @Override
    public long weightedSize() {
        return main.weightedSize();
    }

    @Override
    public long maximum() {
        return maximum;
    }

    @Override
    public void setMaximum(long maximum) {
        if (maximum < 0) {
            throw new IllegalArgumentException("maximum must be >= 0 but was " + maximum);
        }
        this.maximum = maximum;
        main.setMaximum(maximum);
        main.setWindowFraction(windowFraction);
        sampleShift = shiftFor(maximum);
        sampleShiftFromCount = false;
        sampledWeight = main.weightWhere(this::inSample);
        resetGhosts();
    }

    @Override
    public List<PolicyNode> hottest(int limit) {
        checkLimit(limit);
        return main.hottest(limit);
    }

    @Override
    public List<PolicyNode> coldest(int limit) {
        checkLimit(limit);
        return main.coldest(limit);
    }

    /** The current window share of the maximum (0 to 1), for tests and diagnostics. */
    double windowFraction() {
        return windowFraction;
    }

    private static void checkLimit(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0 but was " + limit);
        }
    }

    /** The smallest b such that {@code entries >> b <= GHOST_CAPACITY}. */
    private static int shiftFor(long entries) {
        int shift = 0;
        while ((entries >> shift) > GHOST_CAPACITY) {
            shift++;
        }
        return shift;
    }

    /** Whether a key hash is in the ghosts' spatial sample (always, when the ghosts are not sampled). */
    private boolean inSample(int hash) {
        if (sampleShift == 0) {
            return true;
        }
        int x = hash * 0x9E37_79B9;
        x ^= x >>> 16;
        x *= 0x85EB_CA6B;
        x ^= x >>> 13;
        return (x >>> (32 - sampleShift)) == 0;
    }

    private void resetGhosts() {
        long ghostMaximum = Math.max(1, maximum >> sampleShift);
        smaller = new Ghost(ghostMaximum, Math.max(0, windowFraction - SPREAD), sketch);
        larger = new Ghost(ghostMaximum, Math.min(1, windowFraction + SPREAD), sketch);
        recency = new Ghost(ghostMaximum, 1.0, sketch);
        realWins = 0;
        recencyWins = 0;
        sampledRequests = 0;
        smallerWins = 0;
        largerWins = 0;
    }

    /** Replays one request in both ghosts if its key is in the sample, and decides when a period ends. */
    private void replay(PolicyNode node, boolean realHit) {
        periodRequests++;
        if (realHit) {
            periodHits++;
        }
        int hash = node.keyHash();
        if (!inSample(hash)) {
            return;
        }
        long weight = node.policyWeight();
        boolean smallerHit = smaller.request(hash, weight);
        boolean largerHit = larger.request(hash, weight);
        if (recency.request(hash, weight) != realHit) {
            if (realHit) {
                realWins++;
            } else {
                recencyWins++;
            }
        }
        if (jumpOnTrial && smallerHit != realHit) {
            // During a trial the smaller ghost keeps the layout from before the jump: paired evidence again.
            if (realHit) {
                trialRealWins++;
            } else {
                trialGhostWins++;
            }
        }
        if (smallerHit != largerHit) {
            if (smallerHit) {
                smallerWins++;
            } else {
                largerWins++;
            }
        }
        if (++sampledRequests >= PERIOD) {
            sampledRequests = 0;
            decide();
        } else if ((sampledRequests % EARLY_JUMP) == 0
                && fullAtPeriodStart
                && !jumpOnTrial
                && periodsUntilJump == 0
                && lruLeads()) {
            // A decisive lead of plain LRU need not wait for the period's end: jump now, on trial from here.
            double hitRate = periodRequests == 0 ? 0 : (double) periodHits / periodRequests;
            sampledRequests = 0;
            periodHits = 0;
            periodRequests = 0;
            jump(hitRate);
        }
    }

    private void decide() {
        boolean fullThroughout = fullAtPeriodStart;
        fullAtPeriodStart = main.weightedSize() >= maximum;
        if (sampleShift > 0 && fullAtPeriodStart) {
            long ghostMaximum = Math.max(1, Math.min(sampledWeight, 2 * (maximum >> sampleShift)));
            smaller.resize(ghostMaximum);
            larger.resize(ghostMaximum);
            recency.resize(ghostMaximum);
        }
        if (!fullThroughout) {
            realWins = 0;
            recencyWins = 0;
        }
        double hitRate = periodRequests == 0 ? 0 : (double) periodHits / periodRequests;
        periodHits = 0;
        periodRequests = 0;
        if (jumpOnTrial) {
            // A jump stands only if the real cache did better in the period after: a higher hit ratio than the
            // period before, or more paired wins than the pre-jump layout (the smaller ghost) over the same requests.
            jumpOnTrial = false;
            realWins = 0;
            recencyWins = 0;
            boolean failed = hitRate <= hitRateBeforeJump && trialRealWins <= trialGhostWins;
            trialRealWins = 0;
            trialGhostWins = 0;
            if (failed) {
                jumpBackoff = Math.min(1 << 16, jumpBackoff * 2);
                periodsUntilJump = jumpBackoff;
                move(fractionBeforeJump - windowFraction, 0);
            } else {
                jumpBackoff = 1;
            }
            return;
        }
        if (periodsUntilJump > 0) {
            periodsUntilJump--;
        } else if (fullThroughout && lruLeads()) {
            // Plain LRU beats the current layout: the gain may lie beyond a flat stretch that the local pair
            // cannot see (admission filtering costs recency workloads until the main space is gone), so jump.
            jump(hitRate);
            return;
        }
        realWins *= RECENCY_DECAY;
        recencyWins *= RECENCY_DECAY;
        double threshold = Math.sqrt(smallerWins + largerWins);
        int direction = largerWins - smallerWins > threshold ? 1 : smallerWins - largerWins > threshold ? -1 : 0;
        if (direction == 0) {
            smallerWins *= 0.5;
            largerWins *= 0.5;
            step = STEP;
            lastDirection = 0;
            return;
        }
        smallerWins = 0;
        largerWins = 0;
        step = direction == lastDirection ? Math.min(MAX_STEP, step * 2) : STEP;
        move(direction * step, direction);
    }

    /**
     * Whether plain LRU (the recency ghost) leads the real cache by more than {@value #RECENCY_Z} standard
     * deviations of the paired evidence, with the window not yet at 100%.
     */
    private boolean lruLeads() {
        return windowFraction < 1 && recencyWins - realWins > RECENCY_Z * Math.sqrt(recencyWins + realWins);
    }

    /** Puts the window at 100% on trial (judged at the end of the next period). */
    private void jump(double hitRate) {
        jumpOnTrial = true;
        fractionBeforeJump = windowFraction;
        hitRateBeforeJump = hitRate;
        realWins = 0;
        recencyWins = 0;
        smallerWins = 0;
        largerWins = 0;
        step = STEP;
        move(1.0 - windowFraction, 0);
        smaller.setWindowFraction(fractionBeforeJump);
        trialRealWins = 0;
        trialGhostWins = 0;
    }

    private void move(double delta, int direction) {
        lastDirection = direction;
        windowFraction = Math.max(0, Math.min(1, windowFraction + delta));
        main.setWindowFraction(windowFraction);
        smaller.setWindowFraction(Math.max(0, windowFraction - SPREAD));
        larger.setWindowFraction(Math.min(1, windowFraction + SPREAD));
    }

    /** A ghost entry: a key hash and the weight it had when requested. */
    private static final class GhostNode extends PolicyNode {
        final int hash;
        final long weight;

        GhostNode(int hash, long weight) {
            this.hash = hash;
            this.weight = weight;
        }

        @Override
        public long policyWeight() {
            return weight;
        }

        @Override
        public Object key() {
            return hash;
        }

        @Override
        public int keyHash() {
            return hash;
        }
    }

    /**
     * A sampled simulation of the layout with its own window share: ghost nodes found by key hash in an
     * open-addressing table (linear probing, backward-shift deletion), capacity a power of two at least twice
     * the most nodes it can hold, so probes stay short.
     */
    private static final class Ghost {
        private final WindowTinyLfu layout;
        private GhostNode[] table;
        private int mask;

        Ghost(long maximum, double windowFraction, FrequencySketch sketch) {
            this.layout = new WindowTinyLfu(maximum, windowFraction, sketch, false);
            int size = Integer.highestOneBit((int) Math.min(maximum, GHOST_CAPACITY) * 2 + 1) << 1;
            this.table = new GhostNode[Math.max(16, size)];
            this.mask = table.length - 1;
        }

        void setWindowFraction(double fraction) {
            layout.setWindowFraction(fraction);
        }

        /** Sets the ghost's maximum and evicts while over it. */
        void resize(long maximum) {
            if (maximum != layout.maximum()) {
                layout.setMaximum(maximum);
                evictWhileOver();
            }
        }

        private void evictWhileOver() {
            while (layout.weightedSize() > layout.maximum()) {
                PolicyNode victim = layout.evict();
                if (victim == null) {
                    break;
                }
                delete(((GhostNode) victim).hash);
            }
        }

        /** Replays one request; true on a ghost hit. */
        boolean request(int hash, long weight) {
            int i = slot(hash);
            for (GhostNode n = table[i]; n != null; n = table[i = (i + 1) & mask]) {
                if (n.hash == hash) {
                    layout.onAccess(n);
                    return true;
                }
            }
            GhostNode node = new GhostNode(hash, weight);
            table[i] = node;
            layout.onAdd(node);
            evictWhileOver();
            if (layout.count() * 2 > table.length) {
                grow();
            }
            return false;
        }

        private int slot(int hash) {
            int x = hash * 0x9E37_79B9;
            return (x ^ (x >>> 16)) & mask;
        }

        private void delete(int hash) {
            int i = slot(hash);
            while (table[i] != null && table[i].hash != hash) {
                i = (i + 1) & mask;
            }
            if (table[i] == null) {
                return;
            }
            table[i] = null;
            // Backward-shift: move later entries of the probe run into the hole when that shortens their probe.
            int hole = i;
            for (int j = (i + 1) & mask; table[j] != null; j = (j + 1) & mask) {
                int home = slot(table[j].hash);
                boolean movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
                if (movable) {
                    table[hole] = table[j];
                    table[j] = null;
                    hole = j;
                }
            }
        }

        private void grow() {
            GhostNode[] old = table;
            table = new GhostNode[old.length * 2];
            mask = table.length - 1;
            for (GhostNode n : old) {
                if (n != null) {
                    int i = slot(n.hash);
                    while (table[i] != null) {
                        i = (i + 1) & mask;
                    }
                    table[i] = n;
                }
            }
        }
    }
}
