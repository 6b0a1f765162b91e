package io.infrablocks.bench;

import io.infrablocks.pool.work.BoundedQueue;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jctools.queues.MpmcArrayQueue;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Control;

/**
 * Hand-off throughput of bounded MPMC queues (capacity 1024): {@code BoundedQueue} against {@link
 * ArrayBlockingQueue}, {@link LinkedBlockingQueue} and JCTools' {@link MpmcArrayQueue} (non-blocking
 * reference). Groups {@code p1c1} (1 producer, 1 consumer) and {@code p2c2} (2 and 2) use the non-blocking
 * {@code offer}/{@code poll}, retried after a {@link Thread#yield()} while full/empty (busy-spinning
 * instead measures the scheduler on a machine with fewer cores than threads); groups {@code blocking1p1c} and {@code blocking2p2c}
 * use the blocking {@code offer}/{@code poll} with a timeout (so a run can always stop; JCTools, having no
 * blocking operations, spins there too). The score of a group is the sum of its producers' and consumers'
 * operations: twice the number of elements handed over.
 *
 * <p>Run: {@code java -jar benchmarks.jar QueueBenchmark -f 1 -wi 2 -w 1s -i 3 -r 1s}.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class QueueBenchmark {

    private static final int CAPACITY = 1024;
    private static final Integer ELEMENT = 42;

    /** The queue under test. */
    @Param({"infrablocks", "ArrayBlockingQueue", "LinkedBlockingQueue", "jctools"})
    public String impl;

    private Queue<Integer> queue;
    private BlockingQueue<Integer> blocking;

    /** Creates the queue. */
    @Setup(Level.Iteration)
    public void setUp() {
        queue = switch (impl) {
            case "infrablocks" -> BoundedQueue.withCapacity(CAPACITY);
            case "ArrayBlockingQueue" -> new ArrayBlockingQueue<>(CAPACITY);
            case "LinkedBlockingQueue" -> new LinkedBlockingQueue<>(CAPACITY);
            case "jctools" -> new MpmcArrayQueue<>(CAPACITY);
            default -> throw new IllegalArgumentException("unknown impl " + impl);
        };
        blocking = queue instanceof BlockingQueue<Integer> b ? b : null;
    }

    private boolean offer(Control control) {
        while (!queue.offer(ELEMENT)) {
            if (control.stopMeasurement) {
                return false;
            }
            Thread.yield();
        }
        return true;
    }

    private Integer poll(Control control) {
        Integer e;
        while ((e = queue.poll()) == null) {
            if (control.stopMeasurement) {
                return null;
            }
            Thread.yield();
        }
        return e;
    }

    private boolean offerBlocking(Control control) throws InterruptedException {
        if (blocking == null) {
            return offer(control);
        }
        while (!blocking.offer(ELEMENT, 1, TimeUnit.MILLISECONDS)) {
            if (control.stopMeasurement) {
                return false;
            }
        }
        return true;
    }

    private Integer pollBlocking(Control control) throws InterruptedException {
        if (blocking == null) {
            return poll(control);
        }
        Integer e;
        while ((e = blocking.poll(1, TimeUnit.MILLISECONDS)) == null) {
            if (control.stopMeasurement) {
                return null;
            }
        }
        return e;
    }

    /**
     * 1 producer: offer.
     *
     * @param control JMH control, to stop retrying at the end of the iteration
     * @return whether the element was handed over
     */
    @Benchmark
    @Group("p1c1")
    @GroupThreads(1)
    public boolean p1c1Offer(Control control) {
        return offer(control);
    }

    /**
     * 1 consumer: poll.
     *
     * @param control JMH control
     * @return the element
     */
    @Benchmark
    @Group("p1c1")
    @GroupThreads(1)
    public Integer p1c1Poll(Control control) {
        return poll(control);
    }

    /**
     * 2 producers: offer.
     *
     * @param control JMH control
     * @return whether the element was handed over
     */
    @Benchmark
    @Group("p2c2")
    @GroupThreads(2)
    public boolean p2c2Offer(Control control) {
        return offer(control);
    }

    /**
     * 2 consumers: poll.
     *
     * @param control JMH control
     * @return the element
     */
    @Benchmark
    @Group("p2c2")
    @GroupThreads(2)
    public Integer p2c2Poll(Control control) {
        return poll(control);
    }

    /**
     * 1 producer: blocking offer.
     *
     * @param control JMH control
     * @return whether the element was handed over
     * @throws InterruptedException never in practice
     */
    @Benchmark
    @Group("blocking1p1c")
    @GroupThreads(1)
    public boolean blocking1p1cPut(Control control) throws InterruptedException {
        return offerBlocking(control);
    }

    /**
     * 1 consumer: blocking poll.
     *
     * @param control JMH control
     * @return the element
     * @throws InterruptedException never in practice
     */
    @Benchmark
    @Group("blocking1p1c")
    @GroupThreads(1)
    public Integer blocking1p1cTake(Control control) throws InterruptedException {
        return pollBlocking(control);
    }

    /**
     * 2 producers: blocking offer.
     *
     * @param control JMH control
     * @return whether the element was handed over
     * @throws InterruptedException never in practice
     */
    @Benchmark
    @Group("blocking2p2c")
    @GroupThreads(2)
    public boolean blocking2p2cPut(Control control) throws InterruptedException {
        return offerBlocking(control);
    }

    /**
     * 2 consumers: blocking poll.
     *
     * @param control JMH control
     * @return the element
     * @throws InterruptedException never in practice
     */
    @Benchmark
    @Group("blocking2p2c")
    @GroupThreads(2)
    public Integer blocking2p2cTake(Control control) throws InterruptedException {
        return pollBlocking(control);
    }
}
