package io.switchboard.worker.capacity;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.JobAssignment;
import io.switchboard.schema.event.JobCompletion.Outcome;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.openai.Usage;
import io.switchboard.worker.WorkerConfig;
import io.switchboard.worker.engine.EngineException;
import io.switchboard.worker.engine.InferenceEngine;
import io.switchboard.worker.engine.InferenceEngine.Generation;
import io.switchboard.worker.stream.JobStreamWriter;

/**
 * The worker's slots: one thread per slot runs one sequence at a time. Tracks what runs (for
 * heartbeats and cancellation) and the peak number of sequences run at once (which must never exceed
 * the slots). An assignment that finds every slot busy waits here, visible as {@code queued}.
 */
@ApplicationScoped
public class SlotPool {
    private static final Logger LOG = Logger.getLogger(SlotPool.class);

    private final WorkerConfig config;
    private final InferenceEngine engine;
    private final ReactiveRedisDataSource redis;
    private final CompletionReporter completions;
    private final WorkerIdentity identity;
    private final ThreadPoolExecutor executor;
    private final Map<String, AtomicBoolean> running = new ConcurrentHashMap<>();
    private final CancelLedger cancels = new CancelLedger();
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger peak = new AtomicInteger();
    private final AtomicLong finished = new AtomicLong();
    private final AtomicLong cancelledCount = new AtomicLong();
    private volatile boolean draining;

    @Inject
    public SlotPool(WorkerConfig config, InferenceEngine engine, ReactiveRedisDataSource redis,
            CompletionReporter completions, WorkerIdentity identity) {
        this.config = config;
        this.engine = engine;
        this.redis = redis;
        this.completions = completions;
        this.identity = identity;
        AtomicInteger n = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(config.slots(), config.slots(), 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "slot-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /**
     * @param finished  sequences that left a slot, however they ended
     * @param cancelled of those, the ones stopped by a cancel (client gone, deadline)
     */
    public record Status(int slots, int active, int peakActive, int queued, long finished, long cancelled,
            List<String> runningJobs) {
    }

    public void submit(JobAssignment assignment) {
        String jobId = assignment.jobId();
        if (running.putIfAbsent(jobId, new AtomicBoolean(cancels.wasCancelled(jobId) || draining)) != null) {
            return; // redelivered
        }
        try {
            executor.execute(() -> run(assignment));
        } catch (RejectedExecutionException e) {
            Thread.ofPlatform().name("reject-" + jobId).start(() -> run(assignment));
        }
    }

    /**
     * On shutdown (SIGTERM, scale-down): every sequence stops, and its client gets a
     * {@code worker_shutting_down} error at once instead of waiting for the router to notice the silence;
     * the model is closed only after the slots are empty.
     */
    void drain(@Observes @Priority(1) ShutdownEvent ignored) {
        draining = true;
        running.values().forEach(flag -> flag.set(true));
        executor.shutdown();
        try {
            if (!executor.awaitTermination(config.drainTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warnf("%d sequences still running after the drain timeout", active.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public void cancel(String jobId) {
        cancels.record(jobId);
        AtomicBoolean flag = running.get(jobId);
        if (flag != null) {
            flag.set(true);
        }
    }

    private void run(JobAssignment assignment) {
        var job = assignment.job();
        AtomicBoolean cancelled = running.get(job.jobId());
        int now = active.incrementAndGet();
        peak.accumulateAndGet(now, Math::max);
        Outcome outcome = Outcome.FAILED;
        long ttlWhileRunning = Math.max(1000, job.deadlineAtMs() - System.currentTimeMillis())
                + config.streamTtlAfterEnd().toMillis();
        JobStreamWriter writer = new JobStreamWriter(redis, job.jobId(), config.streamMaxLen(),
                java.time.Duration.ofMillis(ttlWhileRunning), config.streamTtlAfterEnd());
        try {
            TokenEvent terminal;
            if (draining) {
                outcome = Outcome.CANCELLED;
                terminal = shuttingDown();
            } else if (job.expiredAt(System.currentTimeMillis()) || cancelled.get()) {
                outcome = Outcome.CANCELLED;
                return;
            } else {
                try {
                    Generation g = engine.generate(job, writer::delta, cancelled::get);
                    outcome = g.cancelled() ? Outcome.CANCELLED : Outcome.FINISHED;
                    terminal = g.cancelled() && draining ? shuttingDown()
                            : TokenEvent.Finish.of(g.finishReason(), Usage.of(g.promptTokens(), g.completionTokens()));
                } catch (EngineException e) {
                    LOG.warnf("job %s of tenant %s failed: %s", job.jobId(), job.tenantId(), e.getMessage());
                    terminal = TokenEvent.Failure.of(e.code(), e.getMessage());
                } catch (RuntimeException e) {
                    LOG.errorf(e, "job %s of tenant %s failed in the engine", job.jobId(), job.tenantId());
                    terminal = TokenEvent.Failure.of(FailureCode.INFERENCE_FAILED, "The model failed while generating.");
                }
            }
            writer.end(terminal).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warnf("job %s: could not finish its stream: %s", job.jobId(), e.toString());
        } finally {
            active.decrementAndGet();
            running.remove(job.jobId());
            finished.incrementAndGet();
            if (outcome == Outcome.CANCELLED) {
                cancelledCount.incrementAndGet();
            }
            completions.report(job.jobId(), identity.id(), outcome);
        }
    }

    private static TokenEvent shuttingDown() {
        return TokenEvent.Failure.of(FailureCode.WORKER_SHUTTING_DOWN,
                "The worker serving this request is shutting down; retry the request.");
    }

    public Status status() {
        return new Status(config.slots(), active.get(), peak.get(), executor.getQueue().size(), finished.get(), cancelledCount.get(),
                new ArrayList<>(running.keySet()));
    }

    @PreDestroy
    void stop() {
        executor.shutdownNow();
    }
}
