package io.switchboard.router.dispatch;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import jakarta.annotation.PostConstruct;
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
import io.switchboard.router.intake.JobRepublisher;
import io.switchboard.router.intake.JobsIntake;
import io.switchboard.router.metrics.RouterMetrics;
import io.switchboard.router.registry.WorkerSnapshot;
import io.switchboard.router.scheduling.Placement;
import io.switchboard.common.usage.UsageReporter;
import io.switchboard.schema.event.AssignmentReply;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.JobCompletion;
import io.switchboard.schema.event.UsageRecord;
import io.switchboard.schema.event.WorkerHeartbeat;

/**
 * Owns the {@link Dispatcher} and runs every input through it on one thread (no locks, no races on
 * slot accounting), then carries out the resulting actions: assignments to the workers' Redis inboxes, failures to the
 * job's Redis stream (under the job's owner claim), jobs taken back from lost workers, the usage record of every job
 * that ends here (failed, refused, shed or dropped), and the settling of each job's Kafka record ({@link JobsIntake})
 * once its fate is decided. A clock tick expires silent workers and stale jobs. How long each input takes the
 * dispatcher is measured ({@link RouterMetrics#decision}).
 * <p>
 * Only the active router ({@link io.switchboard.router.ha.LeaderLease}) reads jobs and acts; a standby follows the
 * workers' reports so that it knows the fleet when it takes over, and carries nothing out.
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
    JobRepublisher republisher;
    @Inject
    UsageReporter usage;
    @Inject
    RouterMetrics metrics;
    @Inject
    JobsIntake intake;

    private Dispatcher dispatcher;
    /** jobId → where its Kafka record came from, until the job is settled (loop thread only). */
    private final Map<String, JobsIntake.Delivery> deliveries = new HashMap<>();
    /** Whether this router is the active one (set on the loop thread). */
    private boolean leader;
    private volatile boolean leaderView;
    private volatile boolean observable = true;
    private volatile String routerId = "";
    /** Until when (System.nanoTime) this router's lease is surely still its own; it acts on nothing after. */
    private volatile long leaseValidUntilNanos = Long.MIN_VALUE;

    /** Whether this router is the active one, and its id. */
    public record LeaderStatus(String routerId, boolean leader) {
    }

    @PostConstruct
    void init() {
        dispatcher = newDispatcher();
    }

    void start(@Observes StartupEvent ignored) {
        long tick = config.tickInterval().toMillis();
        loop.scheduleWithFixedDelay(() -> {
            if (!observable) {
                dispatcher.holdLiveness(now());
            }
            if (leader && System.nanoTime() > leaseValidUntilNanos) {
                LOG.warn("the leader lease was not renewed in time: acting no more until it is");
            }
            // a standby declares nobody lost: what it would take back, the active router takes back; after a takeover
            // the first tick here catches up (silent workers expire, their jobs are taken back)
            if (leader) {
                apply("tick", d -> d.tick(now()));
            }
        }, tick, tick, TimeUnit.MILLISECONDS);
    }

    private Dispatcher newDispatcher() {
        FlowPolicy policy = new FlowPolicy(config.batchMaxWait().toMillis(), config.promptWeight(), config.completionWeight(),
                config.maxQueuedPerTenant(), config.maxQueuedPerModel(), config.cloudOverflowWait().toMillis(),
                config.criticalReserve(), config.criticalReserveWindow().toMillis(), config.deadlineMargin());
        Dispatcher d = new Dispatcher(placement, config.workerTimeout().toMillis(), config.noWorkerWait().toMillis(), policy,
                metrics, config.prefixIndexBlocks(), config.replyTimeout().toMillis());
        d.acting(false); // a standby until elected
        return d;
    }

    @PreDestroy
    void stop() {
        intake.stop();
        loop.shutdownNow();
    }

    public void identify(String id) {
        routerId = id;
    }

    /**
     * The lease was renewed: this router may act until {@code nanos} (System.nanoTime), after which another router may
     * hold the lease, so this one stops carrying anything out even if its lease thread is stuck on a slow Redis call.
     */
    public void leaseValidUntil(long nanos) {
        leaseValidUntilNanos = nanos;
    }

    /** This router took the lease: it starts reading jobs from the committed offsets. */
    public void elected() {
        loop.execute(() -> {
            leader = true;
            leaderView = true;
            dispatcher.acting(true);
        });
        intake.start(this::job);
    }

    /**
     * This router lost the lease (or is stopping): it stops reading jobs and forgets its queue and what it knew; the next
     * active router reads every job not settled again, and this one, now a standby, learns the workers again from
     * their heartbeats.
     */
    public void demoted() {
        intake.stop();
        loop.execute(() -> {
            leader = false;
            leaderView = false;
            deliveries.clear();
            dispatcher = newDispatcher();
        });
    }

    public LeaderStatus leaderStatus() {
        return new LeaderStatus(routerId, leaderView);
    }

    /** Whether the workers' reports can be read; while not, silent workers are not declared lost. */
    public void workersObservable(boolean readable) {
        observable = readable;
    }

    void job(InferenceJob job, JobsIntake.Delivery delivery) {
        loop.execute(() -> {
            JobsIntake.Delivery first = deliveries.putIfAbsent(job.jobId(), delivery);
            if (first != null) {
                // the same job in a second record: the first record's fate decides; the second one is done with
                if (!first.equals(delivery)) {
                    intake.settled(delivery);
                }
                return;
            }
            apply("job", d -> d.onJob(job, now()));
        });
    }

    public void heartbeat(WorkerHeartbeat hb) {
        loop.execute(() -> apply("heartbeat", d -> d.onHeartbeat(hb, now())));
    }

    public void reply(AssignmentReply reply) {
        metrics.reply(reply.verdict().name().toLowerCase(java.util.Locale.ROOT));
        loop.execute(() -> apply("reply", d -> d.onReply(reply, now())));
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
            if (!leader || System.nanoTime() > leaseValidUntilNanos) {
                return; // a standby (or a router whose lease may have lapsed) follows the workers, and acts on nothing
            }
            for (Action action : actions) {
                carryOut(action);
            }
        } catch (RuntimeException e) {
            LOG.error("router loop input failed", e);
        }
    }

    private void settle(String jobId) {
        JobsIntake.Delivery delivery = deliveries.remove(jobId);
        if (delivery != null) {
            intake.settled(delivery);
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
                InferenceJob job = fail.job();
                LOG.infof("job %s of tenant %s failed: %s", job.jobId(), job.tenantId(), fail.code().wire());
                failures.fail(job, fail.code(), fail.message(), fail.retryAfterMs()).subscribe().with(written -> {
                    metrics.failureWrite(written ? "written" : "skipped");
                    if (written) {
                        usage.report(UsageRecord.notRun(job, UsageRecord.Outcome.FAILED, fail.code().wire(), now()));
                    }
                    loop.execute(() -> settle(job.jobId()));
                }, t -> {
                    metrics.failureWrite("error");
                    // Redis stayed down through every retry: the client's request ends by its deadline; the record is
                    // settled all the same, or it would hold the partition's commits back for good
                    LOG.errorf("job %s: its failure could not be written: %s", job.jobId(), t.getMessage());
                    loop.execute(() -> settle(job.jobId()));
                });
            }
            case Action.Drop drop -> {
                LOG.debugf("job %s of tenant %s left the queue: %s", drop.job().jobId(), drop.job().tenantId(), drop.reason());
                usage.report(UsageRecord.notRun(drop.job(), UsageRecord.Outcome.CANCELLED, drop.reason(), now()));
                settle(drop.job().jobId());
            }
            case Action.Settle settled -> settle(settled.jobId());
            case Action.Republish republish -> republisher.publish(republish.job());
            case Action.Orphan orphan -> endOrphan(orphan);
        }
    }

    /** Ends a job taken back from its worker: back in line if it sent nothing (and is known), else worker_lost. */
    private void endOrphan(Action.Orphan orphan) {
        InferenceJob job = orphan.job();
        long deadline = job == null ? now() : job.deadlineAtMs();
        failures.endOrphan(orphan.jobId(), orphan.workerId(), job != null, deadline).subscribe().with(outcome -> {
            metrics.orphan(outcome);
            LOG.infof("job %s taken back from %s: %s", orphan.jobId(), orphan.workerId(), outcome);
            if ("requeue".equals(outcome)) {
                loop.execute(() -> apply("requeue", d -> d.onOrphanRequeued(orphan, now())));
                return;
            }
            if ("failed".equals(outcome) && job != null) {
                usage.report(UsageRecord.notRun(job, UsageRecord.Outcome.FAILED, "worker_lost", now()));
            }
            loop.execute(() -> settle(orphan.jobId()));
        }, t -> {
            LOG.errorf("job %s: could not be taken back from %s: %s", orphan.jobId(), orphan.workerId(), t.getMessage());
            loop.execute(() -> settle(orphan.jobId()));
        });
    }

    private static long now() {
        return System.currentTimeMillis();
    }
}
