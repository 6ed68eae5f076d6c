package io.switchboard.worker.capacity;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.switchboard.common.usage.UsageReporter;
import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.event.UsageRecord.Outcome;
import io.switchboard.schema.openai.Usage;
import io.switchboard.worker.WorkerConfig;
import io.switchboard.worker.engine.EngineException;
import io.switchboard.worker.engine.InferenceEngine;
import io.switchboard.worker.engine.InferenceEngine.Generation;
import io.switchboard.worker.stream.JobStreamWriter;
import io.switchboard.worker.stream.StreamConnections;

/**
 * Runs one job on the calling slot thread: the engine's text goes to the job's Redis stream as it is produced,
 * and the stream ends with a {@link TokenEvent.Finish} carrying the real token counts (also for a sequence stopped
 * by a cancel) or a {@link TokenEvent.Failure}. A job cancelled or expired before its turn is not run and its stream
 * is not touched. {@link #report} then tells the router that the slot is free and publishes the job's usage, with
 * the same token counts the client got.
 */
@ApplicationScoped
public class JobRunner {
    private static final Logger LOG = Logger.getLogger(JobRunner.class);
    /** The detail of a job whose deadline passed before it started (the gateway's cancel reason for it). */
    static final String DEADLINE_PASSED = "timeout";

    private final WorkerConfig config;
    private final InferenceEngine engine;
    private final StreamConnections streams;
    private final CompletionReporter completions;
    private final UsageReporter usage;
    private final WorkerIdentity identity;
    private final MeterRegistry meters;
    private final JobClaims claims;

    @Inject
    public JobRunner(WorkerConfig config, InferenceEngine engine, StreamConnections streams,
            CompletionReporter completions, UsageReporter usage, WorkerIdentity identity,
            MeterRegistry meters, JobClaims claims) {
        this.claims = claims;
        this.config = config;
        this.engine = engine;
        this.streams = streams;
        this.completions = completions;
        this.usage = usage;
        this.identity = identity;
        this.meters = meters;
    }

    /**
     * Runs {@code job} until it ends, stops when {@code cancellation} is requested, and answers how it ended.
     * While {@code draining}, the client gets a {@code worker_shutting_down} error instead of a finish.
     */
    JobEnd run(InferenceJob job, Cancellation cancellation, BooleanSupplier draining,
            java.util.concurrent.atomic.AtomicInteger generated) {
        boolean drainingAtStart = draining.getAsBoolean();
        if (!drainingAtStart && (job.expiredAt(now()) || cancellation.requested())) {
            return JobEnd.notRun(job, Outcome.CANCELLED,
                    cancellation.requested() ? cancellation.reason() : DEADLINE_PASSED, now());
        }
        JobStreamWriter writer = writerFor(job);
        Ending ending = drainingAtStart
                ? new Ending(JobEnd.notRun(job, Outcome.CANCELLED, FailureCode.WORKER_SHUTTING_DOWN.wire(), now()),
                        shuttingDown())
                : generate(job, writer, cancellation, draining, generated);
        boolean stopped = cancellation.requested() || draining.getAsBoolean() || job.expiredAt(now());
        if (mayHandBack(ending.failure(), ending.produced(), job.provider(), config.provider(), stopped)
                && claims.handBack(job.jobId())) {
            LOG.infof("job %s of tenant %s: the engine failed before the first token (%s); handed back to the router",
                    job.jobId(), job.tenantId(), ending.failure().wire());
            meters.counter("switchboard_worker_handed_back_total", "failure", ending.failure().wire()).increment();
            return ending.end().handedBackNow();
        }
        boolean ended = false;
        try {
            // long enough for a failed end and the failure that replaces it (their retries: about 10 s)
            writer.end(ending.terminal()).get(15, TimeUnit.SECONDS);
            ended = true;
        } catch (Exception e) {
            LOG.warnf("job %s: could not finish its stream: %s", job.jobId(), e.toString());
        }
        if (writer.broken()) {
            // ended_with_failure: the client got an inference_failed error; unended: not even that could be written
            meters.counter("switchboard_worker_streams_broken_total", "end", ended ? "ended_with_failure" : "unended")
                    .increment();
        }
        if (writer.fenced()) {
            return JobEnd.notRun(job, Outcome.CANCELLED, JobEnd.TAKEN_BACK, now());
        }
        if (writer.broken()) {
            // the client never got the whole answer: the job failed, whatever the engine did
            JobEnd e = ending.end();
            return new JobEnd(job, Outcome.FAILED, FailureCode.INFERENCE_FAILED.wire(), null, e.promptTokens(),
                    e.completionTokens(), e.startedAtMs(), e.firstTokenAtMs(), e.endedAtMs());
        }
        return ending.end();
    }

    /** How a job ended, the terminal event its stream ends with, and whether any of its output went to the stream. */
    private record Ending(JobEnd end, TokenEvent terminal, boolean produced) {
        Ending(JobEnd end, TokenEvent terminal) {
            this(end, terminal, true);
        }

        /** The engine's failure; null unless the job failed. */
        FailureCode failure() {
            return end.outcome() == Outcome.FAILED ? FailureCode.ofWire(end.detail(), null) : null;
        }
    }

    /**
     * Whether a job may be handed back instead of ended (the router may run it in the cloud, see
     * {@link io.switchboard.schema.event.JobCompletion.Outcome#HANDED_BACK}): its engine failed on its own side (down,
     * busy, slow, broken; {@code failure}, null when it did not fail) before any output ({@code produced}), the job
     * asked for no provider ({@code jobProvider}), this worker is local ({@code workerProvider}), and nobody stopped it
     * (cancel, deadline, drain: {@code stopped}). The claim is then released only if the job's stream is still empty.
     */
    static boolean mayHandBack(FailureCode failure, boolean produced, String jobProvider, String workerProvider,
            boolean stopped) {
        return failure != null && engineSide(failure) && !produced && jobProvider == null
                && io.switchboard.schema.event.Providers.LOCAL.equals(workerProvider) && !stopped;
    }

    /** A failure of the engine's own (down, busy, slow, broken), not of the request. */
    static boolean engineSide(FailureCode code) {
        return switch (code) {
            case INFERENCE_FAILED, ENGINE_UNAVAILABLE, ENGINE_OVERLOADED, ENGINE_TIMEOUT, BAD_ENGINE_OUTPUT -> true;
            default -> false;
        };
    }

    private Ending generate(InferenceJob job, JobStreamWriter writer, Cancellation cancellation, BooleanSupplier draining,
            java.util.concurrent.atomic.AtomicInteger generated) {
        FirstToken text = new FirstToken(writer, generated);
        long startedAt = now();
        try {
            // a sequence stops at its deadline too, not only when cancelled: nobody reads it after that
            Generation g = engine.generate(job, text,
                    () -> cancellation.requested() || job.expiredAt(now()) || writer.fenced() || writer.broken());
            long endedAt = now();
            TokenEvent finish = TokenEvent.Finish.of(g.finishReason(),
                    Usage.of(g.promptTokens(), g.completionTokens(), g.cachedTokens()));
            if (!g.cancelled()) {
                return new Ending(new JobEnd(job, Outcome.FINISHED, null, g.finishReason(), g.promptTokens(),
                        g.completionTokens(), startedAt, text.firstAt(), endedAt), finish);
            }
            if (!cancellation.requested() && job.expiredAt(endedAt)) {
                return new Ending(new JobEnd(job, Outcome.CANCELLED, FailureCode.REQUEST_TIMEOUT.wire(), null,
                        g.promptTokens(), g.completionTokens(), startedAt, text.firstAt(), endedAt),
                        TokenEvent.Failure.of(FailureCode.REQUEST_TIMEOUT, "The request reached its deadline while the "
                                + "model was generating."));
            }
            if (draining.getAsBoolean()) {
                return new Ending(new JobEnd(job, Outcome.CANCELLED, FailureCode.WORKER_SHUTTING_DOWN.wire(), null,
                        g.promptTokens(), g.completionTokens(), startedAt, text.firstAt(), endedAt), shuttingDown());
            }
            // stopped by a cancel: the finish still carries what was generated, and the usage says the same
            return new Ending(new JobEnd(job, Outcome.CANCELLED, cancellation.reason(), null, g.promptTokens(),
                    g.completionTokens(), startedAt, text.firstAt(), endedAt), finish);
        } catch (EngineException e) {
            LOG.warnf("job %s of tenant %s failed: %s", job.jobId(), job.tenantId(), e.getMessage());
            FailureCode code = failureCode(e.code(), config.provider());
            meters.counter("switchboard_worker_engine_failures_total", "code", e.code().wire()).increment();
            return new Ending(new JobEnd(job, Outcome.FAILED, code.wire(), null, e.promptTokens(),
                    e.completionTokens(), startedAt, text.firstAt(), now(), e.getMessage(), false),
                    TokenEvent.Failure.of(code, e.getMessage()), text.produced());
        } catch (RuntimeException e) {
            LOG.errorf(e, "job %s of tenant %s failed in the engine", job.jobId(), job.tenantId());
            meters.counter("switchboard_worker_engine_failures_total", "code", FailureCode.INFERENCE_FAILED.wire())
                    .increment();
            String message = "The model failed while generating.";
            return new Ending(new JobEnd(job, Outcome.FAILED, FailureCode.INFERENCE_FAILED.wire(), null, 0, 0, startedAt,
                    text.firstAt(), now(), message, false), TokenEvent.Failure.of(FailureCode.INFERENCE_FAILED, message),
                    text.produced());
        }
    }

    /**
     * What the client is told: a cloud worker's upstream failures (the provider down, busy, slow, or answering
     * nonsense) are seed 000's {@code CLOUD_REQUEST_FAILED}; a request the provider refused as invalid, or a prompt too
     * long, keeps its own code (the client can fix those).
     */
    static FailureCode failureCode(FailureCode engine, String provider) {
        return engineSide(engine) && io.switchboard.schema.event.Providers.CLOUD.equals(provider)
                ? FailureCode.CLOUD_REQUEST_FAILED : engine;
    }

    /** False while the engine cannot serve (a managed engine restarting): no job is accepted meanwhile. */
    boolean engineAvailable() {
        return engine.capabilities().available();
    }

    /** Tells the router the job's slot is free and what it used (its fair-share charge), and publishes its usage. */
    void report(JobEnd end) {
        completions.report(end.completion(identity.id(), now()));
        if (!end.takenBack()) {
            usage.report(end.usage(identity.id(), engine.kind()));
        }
    }

    private JobStreamWriter writerFor(InferenceJob job) {
        long ttlWhileRunning = Math.max(1000, job.deadlineAtMs() - now()) + config.streamTtlAfterEnd().toMillis();
        return new JobStreamWriter(streams, job.jobId(), identity.id(), config.provider(), config.streamMaxLen(),
                Duration.ofMillis(ttlWhileRunning), config.streamTtlAfterEnd(), config.streamInterval());
    }

    private static TokenEvent shuttingDown() {
        return TokenEvent.Failure.of(FailureCode.WORKER_SHUTTING_DOWN,
                "The worker serving this request is shutting down; retry the request.");
    }

    private static long now() {
        return System.currentTimeMillis();
    }

    /**
     * Passes the engine's pieces on to the stream, noting when the first came and counting the tokens so far (a piece is
     * one token unless its logprobs say how many; an engine that reports its progress itself is counted by that
     * instead); choices may call from several threads.
     */
    static final class FirstToken implements InferenceEngine.EventSink {
        private final InferenceEngine.EventSink next;
        private final java.util.concurrent.atomic.AtomicInteger generated;
        private volatile Long at;
        private volatile boolean produced;
        private volatile boolean selfCounted;

        FirstToken(InferenceEngine.EventSink next, java.util.concurrent.atomic.AtomicInteger generated) {
            this.next = next;
            this.generated = generated;
        }

        @Override
        public void delta(TokenEvent.Delta delta) {
            produced = true;
            if (at == null) {
                at = now();
            }
            if (!selfCounted) {
                generated.addAndGet(delta.logprobs() == null ? 1 : delta.logprobs().size());
            }
            next.delta(delta);
        }

        @Override
        public void progress(int tokens) {
            selfCounted = true;
            generated.addAndGet(tokens);
        }

        @Override
        public void choiceEnd(int index, String finishReason) {
            produced = true;
            next.choiceEnd(index, finishReason);
        }

        @Override
        public io.vertx.core.Context context() {
            return next.context();
        }

        Long firstAt() {
            return at;
        }

        /** Whether anything of the job's output was sent to the stream. */
        boolean produced() {
            return produced;
        }
    }
}
