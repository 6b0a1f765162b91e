package io.infrablocks.lb.internal;

import io.infrablocks.lb.HealthCheck;
import io.infrablocks.lb.HealthProbe;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active health checks: one fixed-delay task per member on a scheduled pool of two threads from the
 * balancer's {@link ThreadFactory}. Tasks of one member never overlap (fixed delay), so the member's
 * rise/fall counters are confined to its task. Results go to {@link DefaultLoadBalancer#onProbe}.
 * {@link #close()} interrupts running probes and waits at most the probe timeout plus one second.
 */
final class HealthChecker {

    private static final Logger log = LoggerFactory.getLogger(HealthChecker.class);

    private final DefaultLoadBalancer lb;
    private final HealthCheck check;
    private final HealthProbe probe;
    private final ScheduledThreadPoolExecutor executor;
    private final ConcurrentHashMap<Member, ScheduledFuture<?>> tasks = new ConcurrentHashMap<>();

    HealthChecker(DefaultLoadBalancer lb, HealthCheck check, ThreadFactory threadFactory) {
        this.lb = lb;
        this.check = check;
        this.probe = check.probe();
        this.executor = new ScheduledThreadPoolExecutor(2, threadFactory);
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        probe.open(threadFactory);
    }

    void schedule(Member m) {
        ScheduledFuture<?> f = executor.scheduleWithFixedDelay(
                () -> run(m), 0, check.interval().toNanos(), TimeUnit.NANOSECONDS);
        tasks.put(m, f);
    }

    void cancel(Member m) {
        ScheduledFuture<?> f = tasks.remove(m);
        if (f != null) {
            f.cancel(false);
        }
    }

    private void run(Member m) {
        if ((m.status & Member.REMOVED) != 0) {
            return;
        }
        boolean ok;
        try {
            ok = probe.check(m.endpoint, check.timeout());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (Exception e) {
            log.debug("health probe {} of {} failed: {}", probe, m.endpoint, e.toString());
            ok = false;
        }
        lb.onProbe(m, ok, check.rise(), check.fall());
    }

    /** Stops the checks; returns false when a probe did not stop within its timeout plus one second. */
    boolean close() {
        executor.shutdownNow();
        boolean stopped;
        try {
            stopped = executor.awaitTermination(check.timeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = false;
        }
        probe.close();
        return stopped;
    }
}
