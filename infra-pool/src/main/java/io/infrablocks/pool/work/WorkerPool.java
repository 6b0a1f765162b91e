package io.infrablocks.pool.work;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.RunnableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link ExecutorService} whose workers take tasks from a {@link BoundedQueue}, with an explicit {@link
 * OverflowPolicy} for a full queue, per-task queue-wait and run-time metrics, and a graceful shutdown.
 *
 * <pre>{@code
 * try (WorkerPool pool = WorkerPool.builder("orders")
 *         .workers(4)
 *         .queueCapacity(1_000)
 *         .overflowPolicy(OverflowPolicy.blockWithTimeout(Duration.ofMillis(50)))
 *         .build()) {
 *     Future<Receipt> receipt = pool.submit(() -> charge(order));
 * }
 * }</pre>
 *
 * <p>Design. Workers are plain threads taking tasks from the queue's lock-free path, and parking in the
 * queue (never spinning for long) when it is empty. Submission is one lock-free {@code offer} plus a
 * volatile read of the pool state; a worker claims up to 8 queued tasks with one CAS ({@code
 * BoundedQueue.pollBatch}: at most a {@code 2 x workers}-th of the depth, so a short queue is still shared
 * out). The hand-off thus costs a CAS on each side instead of the lock of a {@code ThreadPoolExecutor} over
 * an {@code ArrayBlockingQueue}. Workers start lazily up to {@code
 * coreWorkers}; with {@code maxWorkers > coreWorkers}, a submission that finds no idle worker starts
 * another, and the extra workers leave after {@code keepAlive} idle.
 *
 * <p>Concurrency invariants. {@code state} (RUNNING, SHUTDOWN, STOP, TERMINATED; volatile, only increases)
 * decides admission. A submitter that enqueued a task and then sees the state past RUNNING takes its task
 * back out of the queue ({@link BoundedQueue#remove(Object)}) and rejects it; if it cannot, a worker or
 * {@code shutdownNow} already owns it. Hence every accepted task is exactly one of: run, rejected (exception
 * to the submitter), dropped (failed future / handler) or returned by {@code shutdownNow}. Workers wait with
 * a stop test ({@code state >= SHUTDOWN}) that the queue evaluates after registering as a waiter, and {@code
 * shutdown} wakes all waiters after writing the state, so no worker sleeps through a shutdown. {@code
 * liveWorkers} counts started-but-not-exited workers (CAS-bounded by the worker limits); the last worker
 * to exit after shutdown, once the queue is empty, terminates the pool. Metrics are per-worker {@link
 * TaskStats} (single writer, no shared counter on the task path) folded together under {@code metricsLock}.
 *
 * <p>Optional adaptive limit ({@link AdaptiveLimit}: TCP Vegas as in Netflix's concurrency-limits). When
 * configured, every admitted task holds one permit of a {@code ConcurrencyLimiter} from admission until it
 * finished running, was dropped, rejected after queueing, or returned by {@code shutdownNow}; each of these
 * exits gives the permit back exactly once (the property test checks none is left after termination), and
 * sampled tasks feed their submission-to-completion time into the limit. A submission at the limit meets the
 * overflow policy. Without a limit the task path pays one null check.
 *
 * <p>Complexity: {@code execute} O(1) (plus O(queue) only when racing a shutdown); {@code metrics()}
 * O(workers x histogram size).
 */
public final class WorkerPool extends AbstractExecutorService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerPool.class);

    private static final int RUNNING = 0;
    private static final int SHUTDOWN = 1;
    private static final int STOP = 2;
    private static final int TERMINATED = 3;

    /** The most tasks a worker claims from the queue at once (fewer when the queue is short). */
    private static final int BATCH = 8;

    private final String name;
    private final int coreWorkers;
    private final int maxWorkers;
    /** {@code maxWorkers > coreWorkers}: workers above the core ones start under load and leave when idle. */
    private final boolean elastic;

    private final long keepAliveNanos;
    private final OverflowPolicy policy;
    private final ThreadFactory threadFactory;
    private final TaskExceptionHandler exceptionHandler;
    /** Null when nobody listens. */
    private final WorkerPoolListener listener;

    private final LongSupplier nanoTime;
    private final Duration closeTimeout;
    private final BoundedQueue<Runnable> queue;
    /** Latencies are sampled for tasks where {@code random & sampleMask == 0}. */
    private final int sampleMask;
    /** Null unless an adaptive limit was configured: then every task admitted holds one of its permits. */
    private final ConcurrencyLimiter limiter;

    private final AtomicInteger state = new AtomicInteger(RUNNING);
    private final AtomicInteger liveWorkers = new AtomicInteger();
    private final AtomicInteger idleWorkers = new AtomicInteger();
    private final Set<Worker> workers = ConcurrentHashMap.newKeySet();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final BooleanSupplier stopWaiting = () -> state.get() >= SHUTDOWN;

    private final LongAdder rejected = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder callerRuns = new LongAdder();
    private final List<TaskStats> stats = new CopyOnWriteArrayList<>();
    private final TaskStats callerStats = new TaskStats();
    private final ReentrantLock callerStatsLock = new ReentrantLock();
    private final ReentrantLock metricsLock = new ReentrantLock();
    private final TaskStats.Phase totals = new TaskStats.Phase();
    private long retiredCompleted;
    private long retiredFailed;

    private WorkerPool(Builder builder) {
        this.name = builder.name;
        this.coreWorkers = builder.coreWorkers;
        this.maxWorkers = builder.maxWorkers;
        this.elastic = maxWorkers > coreWorkers;
        this.keepAliveNanos = builder.keepAlive.toNanos();
        this.policy = builder.policy;
        this.threadFactory = builder.threadFactory != null ? builder.threadFactory : defaultThreadFactory(name);
        this.exceptionHandler = builder.exceptionHandler != null ? builder.exceptionHandler : this::logTaskFailure;
        this.listener = builder.listener;
        this.nanoTime = builder.nanoTime;
        this.closeTimeout = builder.closeTimeout;
        this.queue = BoundedQueue.withCapacity(builder.queueCapacity);
        this.sampleMask = listener != null ? 0 : builder.latencySampleRate - 1;
        this.limiter = builder.adaptiveLimit != null ? new ConcurrencyLimiter(builder.adaptiveLimit) : null;
        stats.add(callerStats);
    }

    /**
     * Starts building a pool.
     *
     * @param name the pool's name, used in thread names ({@code infra-pool-<name>-<n>}) and messages
     * @return a builder with the defaults: as many workers as processors, queue capacity 1024, {@link
     *     OverflowPolicy#REJECT}, keep-alive 60 s, close timeout 10 s
     * @throws NullPointerException if {@code name} is null
     */
    public static Builder builder(String name) {
        return new Builder(Objects.requireNonNull(name, "name"));
    }

    // ------------------------------------------------------------------ submission

    /**
     * Queues a task, or applies the overflow policy if the queue is full. A task that throws is reported to
     * the {@link TaskExceptionHandler}; the worker survives.
     *
     * @param command the task
     * @throws RejectedExecutionException if the pool is shut down, or the policy rejects the task
     * @throws NullPointerException if {@code command} is null
     */
    @Override
    public void execute(Runnable command) {
        Objects.requireNonNull(command, "command");
        if (state.get() != RUNNING) {
            throw reject("the pool is shut down");
        }
        if (liveWorkers.get() < coreWorkers) {
            addWorker(coreWorkers);
        }
        if (limiter != null && !limiter.tryAcquire() && !admitAtLimit(command)) {
            return; // ran in the caller
        }
        Runnable job = command;
        boolean sampled = sampleMask == 0 || (ThreadLocalRandom.current().nextInt() & sampleMask) == 0;
        if (command instanceof Job.Submitted<?> submitted) {
            submitted.enqueuedAt(sampled ? nanoTime.getAsLong() : Job.NOT_SAMPLED);
        } else if (sampled) {
            Job.Plain plain = new Job.Plain(command);
            plain.enqueuedAt(nanoTime.getAsLong());
            job = plain;
        }
        boolean queued;
        try {
            queued = queue.offer(job) || overflow(job);
        } catch (RejectedExecutionException e) {
            releasePermit(); // rejected by the policy: neither queued nor run
            throw e;
        }
        if (!queued) {
            return; // ran in the caller
        }
        if (state.get() != RUNNING) {
            if (queue.remove(job)) {
                releasePermit();
                tryTerminate();
                throw reject("the pool is shut down");
            }
            return; // a worker or shutdownNow owns it
        }
        growIfBehind();
    }

    /**
     * Starts a worker above the core ones if tasks are queued, no worker is idle and the maximum allows it.
     * Called by submitters after queueing and by workers after taking tasks: a worker that was counted idle
     * when a task was queued, but had in fact just been woken for another one, then starts the extra worker
     * itself, so a queued task never waits for want of a re-check.
     */
    private void growIfBehind() {
        if (elastic
                && idleWorkers.get() == 0
                && liveWorkers.get() < maxWorkers
                && !queue.isEmpty()
                && state.get() == RUNNING) {
            addWorker(maxWorkers);
        }
    }

    /**
     * Applies the policy to a task the queue had no room for; true if the task was queued after all, false if
     * it ran in the caller. A rejection leaves the task's permit to {@link #execute}, which gives it back.
     */
    private boolean overflow(Runnable job) {
        switch (policy.kind()) {
            case REJECT:
                throw reject("the queue is full");
            case BLOCK:
                try {
                    queue.put(job);
                    return true;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    RejectedExecutionException rejection = reject("interrupted while waiting for room");
                    rejection.initCause(e);
                    throw rejection;
                }
            case BLOCK_WITH_TIMEOUT:
                try {
                    if (queue.offer(job, policy.timeout().toNanos(), TimeUnit.NANOSECONDS)) {
                        return true;
                    }
                    throw reject("the queue stayed full for " + policy.timeout().toMillis() + " ms");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    RejectedExecutionException rejection = reject("interrupted while waiting for room");
                    rejection.initCause(e);
                    throw rejection;
                }
            case CALLER_RUNS:
                if (state.get() != RUNNING) {
                    throw reject("the pool is shut down");
                }
                callerRuns.increment();
                runTask(job, callerStats, callerStatsLock, limiter != null);
                return false;
            case DROP_OLDEST:
                for (; ; ) {
                    Runnable oldest = queue.poll();
                    if (oldest != null) {
                        drop(oldest, true);
                    }
                    if (queue.offer(job)) {
                        return true;
                    }
                }
            default:
                throw new AssertionError(policy);
        }
    }

    /**
     * Applies the policy to a task that found the adaptive limit reached: true once it holds a permit (or
     * the permit of a dropped task), false if it ran in the caller; throws if rejected.
     */
    private boolean admitAtLimit(Runnable command) {
        switch (policy.kind()) {
            case REJECT:
                throw reject(atLimit());
            case BLOCK:
            case BLOCK_WITH_TIMEOUT:
                boolean timed = policy.kind() == OverflowPolicy.Kind.BLOCK_WITH_TIMEOUT;
                try {
                    if (limiter.acquire(timed, policy.timeout().toNanos())) {
                        return true;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    RejectedExecutionException rejection = reject(atLimit() + ", interrupted while waiting");
                    rejection.initCause(e);
                    throw rejection;
                }
                throw reject(atLimit() + " and stayed reached for "
                        + policy.timeout().toMillis() + " ms");
            case CALLER_RUNS:
                callerRuns.increment();
                runTask(command, callerStats, callerStatsLock, false); // holds no permit
                return false;
            case DROP_OLDEST:
                Runnable oldest = queue.poll();
                if (oldest == null) {
                    throw reject(atLimit() + " with no queued task to drop (all are running)");
                }
                drop(oldest, false); // its permit passes to the new task
                return true;
            default:
                throw new AssertionError(policy);
        }
    }

    private String atLimit() {
        return "the adaptive concurrency limit of " + limiter.limit() + " tasks in flight is reached";
    }

    private void releasePermit() {
        if (limiter != null) {
            limiter.release();
        }
    }

    private RejectedExecutionException reject(String reason) {
        rejected.increment();
        int depth = queue.size();
        int capacity = queue.capacity();
        if (listener != null) {
            listener.onTaskRejected(depth, capacity);
        }
        return new RejectedExecutionException("worker pool '" + name + "' rejected a task: " + reason + "; queue depth "
                + depth + " of capacity " + capacity + ", policy " + policy);
    }

    /** The task as the user gave it. */
    private static Runnable taskOf(Runnable queued) {
        return queued instanceof Job job ? job.task() : queued;
    }

    private void drop(Runnable job, boolean releasePermit) {
        if (releasePermit) {
            releasePermit();
        }
        dropped.increment();
        TaskDroppedException cause = new TaskDroppedException("worker pool '" + name
                + "' dropped this task before it ran to make room for a newer one: queue full at capacity "
                + queue.capacity() + ", policy DROP_OLDEST");
        if (listener != null) {
            listener.onTaskDropped(taskOf(job));
        }
        if (job instanceof Job.Submitted<?> submitted) {
            submitted.drop(cause);
        } else {
            handle(taskOf(job), cause);
        }
    }

    @Override
    protected <T> RunnableFuture<T> newTaskFor(Runnable runnable, T value) {
        return new Job.Submitted<>(runnable, value);
    }

    @Override
    protected <T> RunnableFuture<T> newTaskFor(Callable<T> callable) {
        return new Job.Submitted<>(callable);
    }

    // ------------------------------------------------------------------ workers

    private final class Worker implements Runnable {
        final TaskStats stats = new TaskStats();
        /** Tasks claimed from the queue in one go (see {@link BoundedQueue#pollBatch}). */
        private final Object[] batch = new Object[BATCH];

        Thread thread;
        /** Set when the worker already gave back its liveWorkers count (keep-alive expiry). */
        boolean countReleased;

        @Override
        public void run() {
            try {
                for (; ; ) {
                    int n = queue.pollBatch(batch, BATCH, Math.max(1, liveWorkers.get()));
                    if (n == 0) {
                        Runnable job = awaitJob();
                        if (job == null) {
                            return;
                        }
                        growIfBehind();
                        run(job);
                        continue;
                    }
                    growIfBehind();
                    for (int i = 0; i < n; i++) {
                        Runnable job = (Runnable) batch[i];
                        batch[i] = null;
                        run(job);
                    }
                }
            } finally {
                workerExited(this);
            }
        }

        private void run(Runnable job) {
            if (state.get() < STOP) {
                Thread.interrupted(); // no stray interrupt leaks into the next task
            }
            runTask(job, stats, null, limiter != null);
        }

        private Runnable awaitJob() {
            for (; ; ) {
                int s = state.get();
                if (s >= STOP || (s >= SHUTDOWN && queue.isEmpty())) {
                    return null;
                }
                boolean timed = maxWorkers > coreWorkers && liveWorkers.get() > coreWorkers;
                Runnable job;
                // Only an elastic pool needs the idle count (growIfBehind); a fixed one leaves it alone, so
                // that workers going idle and back do not write a line near the state every submitter reads.
                if (elastic) {
                    idleWorkers.incrementAndGet();
                }
                try {
                    job = queue.pollOrStop(timed, keepAliveNanos, stopWaiting);
                } catch (InterruptedException e) {
                    continue; // shutdownNow, or a stray interrupt: re-check the state
                } finally {
                    if (elastic) {
                        idleWorkers.decrementAndGet();
                    }
                }
                if (job != null) {
                    return job;
                }
                if (timed && state.get() == RUNNING) {
                    int n = liveWorkers.get();
                    if (n > coreWorkers && liveWorkers.compareAndSet(n, n - 1)) {
                        countReleased = true;
                        return null;
                    }
                }
            }
        }
    }

    /** Starts a worker if fewer than {@code limit} are live. */
    private void addWorker(int limit) {
        for (; ; ) {
            int n = liveWorkers.get();
            if (n >= limit) {
                return;
            }
            if (liveWorkers.compareAndSet(n, n + 1)) {
                break;
            }
        }
        Worker worker = new Worker();
        Thread thread;
        try {
            thread = threadFactory.newThread(worker);
            if (thread == null) {
                throw new IllegalStateException("the thread factory returned null");
            }
        } catch (RuntimeException e) {
            liveWorkers.decrementAndGet();
            tryTerminate();
            throw new RejectedExecutionException(
                    "worker pool '" + name + "' could not start a worker: " + e.getMessage(), e);
        }
        worker.thread = thread;
        workers.add(worker);
        stats.add(worker.stats);
        thread.start();
    }

    private void workerExited(Worker worker) {
        worker.stats.retired = true;
        workers.remove(worker);
        if (!worker.countReleased) {
            liveWorkers.decrementAndGet();
        }
        if (state.get() == RUNNING && liveWorkers.get() < coreWorkers && !queue.isEmpty()) {
            addWorker(coreWorkers); // only after an unexpected exit: keep the queue served
        }
        tryTerminate();
    }

    /**
     * Runs a task, times it if it is sampled, and counts it; {@code statsLock} serializes writers of shared
     * stats (null: the single writer is the current worker).
     */
    private void runTask(Runnable queued, TaskStats taskStats, ReentrantLock statsLock, boolean permit) {
        Throwable failure;
        long wait = -1;
        long run = -1;
        if (queued instanceof Job job) {
            long enqueuedAt = job.enqueuedAt();
            if (enqueuedAt != Job.NOT_SAMPLED) {
                long start = nanoTime.getAsLong();
                failure = job.runAndCatch();
                long end = nanoTime.getAsLong();
                wait = start - enqueuedAt;
                run = end - start;
            } else {
                failure = job.runAndCatch();
            }
        } else {
            try {
                queued.run();
                failure = null;
            } catch (Throwable t) {
                failure = t;
            }
        }
        if (permit) {
            if (run >= 0) {
                limiter.onSample(wait + run, limiter.inFlight());
            }
            limiter.release();
        }
        if (statsLock != null) {
            statsLock.lock();
        }
        try {
            taskStats.count(failure != null);
            if (run >= 0) {
                taskStats.record(wait, run);
            }
        } finally {
            if (statsLock != null) {
                statsLock.unlock();
            }
        }
        if (failure != null && !(queued instanceof Job.Submitted)) {
            handle(taskOf(queued), failure);
        }
        if (listener != null) {
            listener.onTaskCompleted(wait, run, failure != null);
        }
    }

    private void handle(Runnable task, Throwable failure) {
        try {
            exceptionHandler.handle(task, failure);
        } catch (Throwable t) {
            LOG.error("worker pool '{}': the task exception handler threw", name, t);
        }
    }

    private void logTaskFailure(Runnable task, Throwable failure) {
        LOG.warn("worker pool '{}': task {} failed", name, task, failure);
    }

    private static ThreadFactory defaultThreadFactory(String name) {
        AtomicInteger counter = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, "infra-pool-" + name + "-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Stops accepting tasks; queued tasks still run, then the workers exit. Does not wait: see {@link
     * #awaitTermination(long, TimeUnit)}. Idempotent.
     */
    @Override
    public void shutdown() {
        advanceState(SHUTDOWN);
        queue.wakeAllConsumers();
        if (liveWorkers.get() == 0 && !queue.isEmpty()) {
            addWorker(1);
        }
        tryTerminate();
    }

    /**
     * Stops accepting tasks, removes the queued ones and interrupts running tasks. Tasks a worker had already
     * claimed from the queue (up to 8 per worker, see the class comment) still run, interrupted, like the
     * task a {@code ThreadPoolExecutor} worker has just dequeued.
     *
     * @return the tasks that never ran, in queue order (for {@code submit}ted tasks, their futures)
     */
    @Override
    public List<Runnable> shutdownNow() {
        advanceState(STOP);
        List<Runnable> drained = new ArrayList<>();
        queue.drainTo(drained);
        if (limiter != null) {
            for (int i = 0; i < drained.size(); i++) {
                limiter.release();
            }
        }
        for (Worker worker : workers) {
            worker.thread.interrupt();
        }
        queue.wakeAllConsumers();
        tryTerminate();
        List<Runnable> neverRun = new ArrayList<>(drained.size());
        for (Runnable job : drained) {
            neverRun.add(taskOf(job));
        }
        return neverRun;
    }

    private void advanceState(int target) {
        for (; ; ) {
            int s = state.get();
            if (s >= target || state.compareAndSet(s, target)) {
                return;
            }
        }
    }

    private void tryTerminate() {
        int s = state.get();
        if (s == SHUTDOWN || s == STOP) {
            if (liveWorkers.get() == 0 && (s == STOP || queue.isEmpty()) && state.compareAndSet(s, TERMINATED)) {
                terminated.countDown();
                LOG.debug("worker pool '{}' terminated", name);
            }
        }
    }

    /**
     * {@inheritDoc}
     *
     * @return {@code true} after {@link #shutdown()} or {@link #shutdownNow()}
     */
    @Override
    public boolean isShutdown() {
        return state.get() >= SHUTDOWN;
    }

    /**
     * {@inheritDoc}
     *
     * @return {@code true} once shut down and every worker has exited
     */
    @Override
    public boolean isTerminated() {
        return state.get() == TERMINATED;
    }

    /**
     * {@inheritDoc}
     *
     * @param timeout the longest wait
     * @param unit the unit of {@code timeout}
     * @return {@code true} if terminated, {@code false} if the time elapsed first
     * @throws InterruptedException if interrupted while waiting
     */
    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return terminated.await(timeout, Objects.requireNonNull(unit, "unit"));
    }

    /**
     * Shuts down gracefully and waits up to the close timeout for queued and running tasks to finish; if
     * they don't, calls {@link #shutdownNow()} and logs (WARN) how many queued tasks never ran and how many
     * workers were still busy. Idempotent; returns within about the close timeout.
     */
    @Override
    public void close() {
        shutdown();
        boolean interrupted = false;
        boolean done;
        try {
            done = awaitTermination(closeTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            interrupted = true;
            done = false;
        }
        if (!done) {
            List<Runnable> neverRun = shutdownNow();
            LOG.warn(
                    "worker pool '{}' did not finish within {} ms: {} queued tasks never ran, {} workers were"
                            + " still running and were interrupted",
                    name,
                    closeTimeout.toMillis(),
                    neverRun.size(),
                    liveWorkers.get());
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ metrics

    /**
     * A snapshot of the queue depth, worker count, counters and latency percentiles.
     *
     * @return the metrics
     */
    public WorkerPoolMetrics metrics() {
        metricsLock.lock();
        try {
            long completed = retiredCompleted;
            long failed = retiredFailed;
            for (TaskStats taskStats : stats) {
                boolean retired = taskStats.retired;
                taskStats.drainInto(totals);
                if (retired) {
                    retiredCompleted += taskStats.completed();
                    retiredFailed += taskStats.failed();
                    stats.remove(taskStats);
                }
                completed += taskStats.completed();
                failed += taskStats.failed();
            }
            Histogram wait = totals.queueWait;
            Histogram run = totals.runTime;
            return new WorkerPoolMetrics(
                    queue.size(),
                    queue.capacity(),
                    liveWorkers.get(),
                    completed,
                    failed,
                    rejected.sum(),
                    dropped.sum(),
                    callerRuns.sum(),
                    wait.getValueAtPercentile(50.0),
                    wait.getValueAtPercentile(99.0),
                    run.getValueAtPercentile(50.0),
                    run.getValueAtPercentile(99.0));
        } finally {
            metricsLock.unlock();
        }
    }

    /**
     * The current adaptive concurrency limit (see {@link Builder#adaptiveLimit(AdaptiveLimit)}).
     *
     * @return the limit on tasks in flight (queued plus running), or empty if none was configured
     */
    public OptionalInt concurrencyLimit() {
        return limiter == null ? OptionalInt.empty() : OptionalInt.of(limiter.limit());
    }

    /** Permits of the adaptive limit held now (0 without one); for tests. */
    int permitsHeld() {
        return limiter == null ? 0 : limiter.inFlight();
    }

    /**
     * The pool's name.
     *
     * @return the name given to the builder
     */
    public String name() {
        return name;
    }

    /**
     * {@inheritDoc}
     *
     * @return a one-line description with the name, state, workers and queue depth
     */
    @Override
    public String toString() {
        String[] states = {"RUNNING", "SHUTDOWN", "STOP", "TERMINATED"};
        return "WorkerPool[" + name + ", " + states[state.get()] + ", workers " + liveWorkers.get() + "/" + maxWorkers
                + ", queue " + queue.size() + "/" + queue.capacity() + ", policy " + policy
                + (limiter == null ? "" : ", " + limiter) + "]";
    }

    // ------------------------------------------------------------------ builder

    /** Configures a {@link WorkerPool}; settings are validated by {@link #build()}. */
    public static final class Builder {
        private final String name;
        private int coreWorkers = Runtime.getRuntime().availableProcessors();
        private int maxWorkers = coreWorkers;
        private int queueCapacity = 1024;
        private Duration keepAlive = Duration.ofSeconds(60);
        private OverflowPolicy policy = OverflowPolicy.REJECT;
        private ThreadFactory threadFactory;
        private TaskExceptionHandler exceptionHandler;
        private WorkerPoolListener listener;
        private LongSupplier nanoTime = System::nanoTime;
        private Duration closeTimeout = Duration.ofSeconds(10);
        private int latencySampleRate = 16;
        private AdaptiveLimit adaptiveLimit;

        private Builder(String name) {
            this.name = name;
        }

        /**
         * A fixed number of workers.
         *
         * @param workers the number of workers, at least 1
         * @return this builder
         */
        public Builder workers(int workers) {
            return workers(workers, workers);
        }

        /**
         * A bounded number of workers: {@code coreWorkers} stay, up to {@code maxWorkers} are started when a
         * task finds no idle worker, and extra ones leave after {@link #keepAlive(Duration)} idle.
         *
         * @param coreWorkers workers that stay, at least 1
         * @param maxWorkers the most workers, at least {@code coreWorkers}
         * @return this builder
         */
        public Builder workers(int coreWorkers, int maxWorkers) {
            this.coreWorkers = coreWorkers;
            this.maxWorkers = maxWorkers;
            return this;
        }

        /**
         * The queue's capacity.
         *
         * @param queueCapacity tasks that can wait, at least 1
         * @return this builder
         */
        public Builder queueCapacity(int queueCapacity) {
            this.queueCapacity = queueCapacity;
            return this;
        }

        /**
         * How long a worker above {@code coreWorkers} stays idle before leaving.
         *
         * @param keepAlive a positive duration
         * @return this builder
         */
        public Builder keepAlive(Duration keepAlive) {
            this.keepAlive = Objects.requireNonNull(keepAlive, "keepAlive");
            return this;
        }

        /**
         * What to do when the queue is full.
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder overflowPolicy(OverflowPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Replaces the thread factory (default: daemon threads named {@code infra-pool-<name>-<n>}).
         *
         * @param threadFactory the factory
         * @return this builder
         */
        public Builder threadFactory(ThreadFactory threadFactory) {
            this.threadFactory = Objects.requireNonNull(threadFactory, "threadFactory");
            return this;
        }

        /**
         * Receives failures of tasks given to {@code execute} (default: logged at WARN).
         *
         * @param handler the handler
         * @return this builder
         */
        public Builder taskExceptionHandler(TaskExceptionHandler handler) {
            this.exceptionHandler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * Receives task events (default: none, at no cost).
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder listener(WorkerPoolListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * The nanosecond time source of the queue-wait and run-time metrics (default {@link
         * System#nanoTime()}); tests inject a manual clock.
         *
         * @param nanoTime the time source
         * @return this builder
         */
        public Builder nanoTime(LongSupplier nanoTime) {
            this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
            return this;
        }

        /**
         * How long {@link WorkerPool#close()} waits for queued and running tasks before {@code shutdownNow}.
         *
         * @param closeTimeout a duration, zero or positive
         * @return this builder
         */
        public Builder closeTimeout(Duration closeTimeout) {
            this.closeTimeout = Objects.requireNonNull(closeTimeout, "closeTimeout");
            return this;
        }

        /**
         * Times 1 in {@code oneIn} tasks (chosen at random) for the queue-wait and run-time percentiles of
         * {@link WorkerPool#metrics()}: reading the clock costs tens to hundreds of nanoseconds, a lot next
         * to a tiny task. Counters are always exact. With a listener every task is timed.
         *
         * @param oneIn a power of two; 1 times every task (default 16)
         * @return this builder
         */
        public Builder latencySampleRate(int oneIn) {
            this.latencySampleRate = oneIn;
            return this;
        }

        /**
         * Opts into an adaptive limit on the tasks in flight (queued plus running), which grows while sampled
         * task latency stays at its no-load level and shrinks when queueing raises it; at the limit the
         * {@linkplain #overflowPolicy(OverflowPolicy) overflow policy} applies as at a full queue. See {@link
         * AdaptiveLimit} for the algorithm (TCP Vegas, as in Netflix's concurrency-limits). Default: none, at no
         * cost.
         *
         * @param limit the limit's configuration, e.g. {@code AdaptiveLimit.vegas(20, 2, 1000)}
         * @return this builder
         */
        public Builder adaptiveLimit(AdaptiveLimit limit) {
            this.adaptiveLimit = Objects.requireNonNull(limit, "limit");
            return this;
        }

        /**
         * Validates the settings and builds the pool; workers start with the first tasks.
         *
         * @return the pool
         * @throws IllegalArgumentException if a setting is out of range
         */
        public WorkerPool build() {
            if (name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank");
            }
            if (coreWorkers < 1) {
                throw new IllegalArgumentException("coreWorkers must be > 0 but was " + coreWorkers);
            }
            if (maxWorkers < coreWorkers) {
                throw new IllegalArgumentException(
                        "maxWorkers must be >= coreWorkers (" + coreWorkers + ") but was " + maxWorkers);
            }
            if (queueCapacity < 1) {
                throw new IllegalArgumentException("queueCapacity must be > 0 but was " + queueCapacity);
            }
            if (keepAlive.isNegative() || keepAlive.isZero()) {
                throw new IllegalArgumentException("keepAlive must be > 0 but was " + keepAlive);
            }
            if (latencySampleRate < 1 || Integer.bitCount(latencySampleRate) != 1) {
                throw new IllegalArgumentException(
                        "latencySampleRate must be a power of two >= 1 but was " + latencySampleRate);
            }
            if (closeTimeout.isNegative()) {
                throw new IllegalArgumentException("closeTimeout must be >= 0 but was " + closeTimeout);
            }
            return new WorkerPool(this);
        }
    }
}
