package io.switchboard.router.dispatch;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.switchboard.router.RouterConfig;
import io.switchboard.router.admission.FlowPolicy;
import io.switchboard.router.admission.JobQueue;
import io.switchboard.router.failure.JobFailureWriter;
import io.switchboard.router.intake.AssignmentPublisher;
import io.switchboard.router.metrics.RouterMetrics;
import io.switchboard.router.registry.WorkerSnapshot;
import io.switchboard.router.scheduling.Placement;
import io.switchboard.common.usage.UsageReporter;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.JobCompletion;
import io.switchboard.schema.event.UsageRecord;
import io.switchboard.schema.event.WorkerHeartbeat;

/**
 * Owns the {@link Dispatcher} and runs every input through it on one thread (no locks, no races on
 * slot accounting), then carries out the resulting actions: assignments to the workers' Redis inboxes, failures to the
 * job's Redis stream, and the usage record of every job that ends here (failed, refused, shed or dropped). A clock
 * tick expires silent workers and stale jobs. How long each input takes the dispatcher is measured
 * ({@link RouterMetrics#decision}).
 */
@ApplicationScoped
public class RouterLoop {
    private static final Logger LOG = Logger.getLogger(RouterLoop.class);

    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "router-loop");
        t.setDaemon(true);
        return t;
    });

    @Inject
    RouterConfig config;
    @Inject
    Placement placement;
    @Inject
    AssignmentPublisher assignments;
    @Inject
    JobFailureWriter failures;
    @Inject
    UsageReporter usage;
    @Inject
    RouterMetrics metrics;

    private Dispatcher dispatcher;

    void start(@Observes StartupEvent ignored) {
        FlowPolicy policy = new FlowPolicy(config.batchMaxWait().toMillis(), config.promptWeight(), config.completionWeight(),
                config.maxQueuedPerTenant(), config.maxQueuedPerModel());
        dispatcher = new Dispatcher(placement, config.workerTimeout().toMillis(), config.noWorkerWait().toMillis(), policy,
                metrics, config.prefixIndexBlocks());
        long tick = config.tickInterval().toMillis();
        loop.scheduleWithFixedDelay(() -> apply("tick", d -> d.tick(now())), tick, tick, TimeUnit.MILLISECONDS);
    }

    @PreDestroy
    void stop() {
        loop.shutdownNow();
    }

    public void job(InferenceJob job) {
        loop.execute(() -> apply("job", d -> d.onJob(job, now())));
    }

    public void heartbeat(WorkerHeartbeat hb) {
        loop.execute(() -> apply("heartbeat", d -> d.onHeartbeat(hb, now())));
    }

    public void completed(JobCompletion completion) {
        loop.execute(() -> apply("completion", d -> d.onCompletion(completion, now())));
    }

    public void cancelled(String jobId, String reason) {
        loop.execute(() -> apply("cancel", d -> d.onCancel(jobId, reason, now())));
    }

    public CompletableFuture<List<WorkerSnapshot>> workers() {
        return call(() -> dispatcher.workers());
    }

    /** What the router's queue holds: jobs waiting and running, and per model, band and tenant depths and counters. */
    public record QueueStatus(int queued, int running, List<JobQueue.PoolStatus> pools) {
    }

    public CompletableFuture<QueueStatus> queue() {
        return call(() -> new QueueStatus(dispatcher.queued(), dispatcher.runningCount(), dispatcher.queues()));
    }

    private <T> CompletableFuture<T> call(Callable<T> query) {
        CompletableFuture<T> result = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                result.complete(query.call());
            } catch (Exception e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    private void apply(String kind, Function<Dispatcher, List<Action>> input) {
        try {
            long started = System.nanoTime();
            List<Action> actions = input.apply(dispatcher);
            metrics.decision(kind, System.nanoTime() - started);
            for (Action action : actions) {
                carryOut(action);
            }
        } catch (RuntimeException e) {
            LOG.error("router loop input failed", e);
        }
    }

    private void carryOut(Action action) {
        switch (action) {
            case Action.Assign assign -> assignments.publish(assign.job(), assign.workerId())
                    .subscribe().with(
                            ok -> LOG.debugf("job %s of tenant %s assigned to %s", assign.job().jobId(),
                                    assign.job().tenantId(), assign.workerId()),
                            t -> {
                                LOG.warnf("assignment of job %s to %s failed: %s", assign.job().jobId(),
                                        assign.workerId(), t.getMessage());
                                loop.execute(() -> apply("assign_failed", d -> d.onAssignFailed(assign.job(), t.getMessage(), now())));
                            });
            case Action.Fail fail -> {
                LOG.infof("job %s of tenant %s failed: %s", fail.job().jobId(), fail.job().tenantId(), fail.code().wire());
                failures.fail(fail.job().jobId(), fail.code(), fail.message(), fail.retryAfterMs());
                usage.report(UsageRecord.notRun(fail.job(), UsageRecord.Outcome.FAILED, fail.code().wire(), now()));
            }
            case Action.Drop drop -> {
                LOG.debugf("job %s of tenant %s left the queue: %s", drop.job().jobId(), drop.job().tenantId(), drop.reason());
                usage.report(UsageRecord.notRun(drop.job(), UsageRecord.Outcome.CANCELLED, drop.reason(), now()));
            }
        }
    }

    private static long now() {
        return System.currentTimeMillis();
    }
}
