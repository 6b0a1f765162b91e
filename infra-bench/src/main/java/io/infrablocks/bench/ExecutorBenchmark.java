package io.infrablocks.bench;

import io.infrablocks.pool.work.OverflowPolicy;
import io.infrablocks.pool.work.WorkerPool;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of tiny tasks through a 2-worker executor with a 1024-slot queue: {@link WorkerPool} (policy
 * BLOCK) against a {@link ThreadPoolExecutor} over an {@link ArrayBlockingQueue} (a rejection handler that
 * blocks on the queue, the usual way to get back-pressure from it). Scores are tasks per microsecond.
 *
 * <ul>
 *   <li>{@code batch}: submit 1000 tasks that each decrement one shared counter, then wait until all ran
 *       (fan-out/fan-in; the shared counter makes the workers contend).
 *   <li>{@code stream}: one submission per operation of a task that adds to a {@link LongAdder} (no shared
 *       hot cache line), the queue saturated: the steady-state hand-off rate with back-pressure.
 * </ul>
 *
 * <p>Run: {@code java -jar benchmarks.jar ExecutorBenchmark -f 1 -wi 2 -w 1s -i 3 -r 1s}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class ExecutorBenchmark {

    private static final int BATCH = 1000;
    private static final int WORKERS = 2;
    private static final int CAPACITY = 1024;

    /** The executor under test. */
    @Param({"infrablocks", "ThreadPoolExecutor"})
    public String impl;

    private ExecutorService executor;
    private final AtomicInteger remaining = new AtomicInteger();
    private volatile Thread waiter;
    private Runnable task;
    private final LongAdder streamed = new LongAdder();
    private Runnable streamTask;

    /** Starts the executor. */
    @Setup(Level.Trial)
    public void setUp() {
        executor = switch (impl) {
            case "infrablocks" -> WorkerPool.builder("bench")
                    .workers(WORKERS)
                    .queueCapacity(CAPACITY)
                    .overflowPolicy(OverflowPolicy.BLOCK)
                    .build();
            case "ThreadPoolExecutor" -> {
                ThreadPoolExecutor tpe = new ThreadPoolExecutor(
                        WORKERS, WORKERS, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(CAPACITY), (r, executor) -> {
                            try {
                                executor.getQueue().put(r);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                throw new RejectedExecutionException(e);
                            }
                        });
                tpe.prestartAllCoreThreads();
                yield tpe;
            }
            default -> throw new IllegalArgumentException("unknown impl " + impl);
        };
        streamTask = streamed::increment;
        task = () -> {
            if (remaining.decrementAndGet() == 0) {
                LockSupport.unpark(waiter);
            }
        };
    }

    /** Stops the executor. */
    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        executor.shutdown();
        executor.awaitTermination(10, TimeUnit.SECONDS);
    }

    /**
     * Submits a batch of tiny tasks and waits for all of them.
     *
     * @return the tasks left (0)
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int batch() {
        waiter = Thread.currentThread();
        remaining.set(BATCH);
        for (int i = 0; i < BATCH; i++) {
            executor.execute(task);
        }
        int left;
        while ((left = remaining.get()) != 0) {
            LockSupport.park(this);
        }
        return left;
    }

    /**
     * Submits one tiny task into the saturated executor.
     */
    @Benchmark
    public void stream() {
        executor.execute(streamTask);
    }
}
