package io.switchboard.gateway.job;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;
import io.switchboard.gateway.GatewayConfig;
import io.switchboard.gateway.auth.Caller;
import io.switchboard.gateway.catalog.ModelCatalog;
import io.switchboard.gateway.error.ApiException;
import io.switchboard.gateway.limits.Admission;
import io.switchboard.gateway.limits.AdmissionDecision;
import io.switchboard.gateway.limits.LastRateLimits;
import io.switchboard.gateway.limits.RateLimitStatus;
import io.switchboard.gateway.limits.TokenEstimator;
import io.switchboard.gateway.stream.CompletionHeader;
import io.switchboard.gateway.stream.StreamRelay;
import io.switchboard.gateway.usage.TenantMetrics;
import io.switchboard.gateway.validation.RequestValidator;
import io.switchboard.gateway.validation.TenantRules;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.openai.ChatCompletionRequest;
import io.switchboard.schema.wire.JobOwners;

/**
 * The request path behind {@code POST /v1/chat/completions}: validate, resolve the model for the caller, admit it
 * against the tenant's limits, publish the job (awaited) with its meta hash, then hand back what the answer needs.
 * A request answered with an error never runs later: a failed publish is claimed {@code ~abandoned:publish_failed}
 * before the 503 (and served after all when a worker owned the job first), and a client that leaves before the job
 * produced anything gets its job claimed {@code ~abandoned:client_gone} besides the cancel.
 */
@ApplicationScoped
public class ChatCompletionService {
    private static final Logger LOG = Logger.getLogger(ChatCompletionService.class);

    private final GatewayConfig config;
    private final ModelCatalog catalog;
    private final JobPublisher publisher;
    private final JobMetaStore meta;
    private final JobClaims claims;
    private final Admission admission;
    private final TenantMetrics metrics;
    private final LastRateLimits lastRateLimits;
    private final RequestValidator validator;
    private final JobFactory jobs;

    @Inject
    public ChatCompletionService(GatewayConfig config, ModelCatalog catalog, JobPublisher publisher,
            JobMetaStore meta, JobClaims claims, Admission admission, TenantMetrics metrics, LastRateLimits lastRateLimits) {
        this.config = config;
        this.catalog = catalog;
        this.publisher = publisher;
        this.meta = meta;
        this.claims = claims;
        this.admission = admission;
        this.metrics = metrics;
        this.lastRateLimits = lastRateLimits;
        this.validator = RequestValidator.standard(config.maxTokensLimit());
        this.jobs = new JobFactory(config.defaultMaxTokens(), config.tenancy().priorityRange());
    }

    /**
     * A published job: its identity for the response, whether it asked for the usage chunk, and what admission decided
     * (the rate-limit headers to answer with, the reservation to release when the answer ends).
     */
    public record RunningJob(InferenceJob job, long createdSec, boolean includeUsage, AdmissionDecision admission) {
        public RateLimitStatus rateLimits() {
            return admission.status();
        }

        public CompletionHeader header(String fingerprint) {
            return new CompletionHeader(job.jobId(), createdSec, job.model(), fingerprint, job.options().n(),
                    job.options().logprobs());
        }
    }

    /**
     * Validates synchronously (throws {@link ApiException}), admits, then publishes; {@code arrivedNanos} is when the
     * request reached the gateway, for the admission timer. The Uni fails with 429 (and the
     * rate-limit headers) when a limit refuses, with 503 when Redis or Kafka does not answer; a job whose publish
     * failed gives back what admission counted for it.
     */
    public Uni<RunningJob> submit(Caller caller, String requestId, ChatCompletionRequest request, long arrivedNanos) {
        validator.validate(request);
        String model = catalog.resolve(request.model()).orElseThrow(() -> ApiException.modelNotFound(request.model()));
        long now = System.currentTimeMillis();
        long deadline = now + config.requestTimeout().toMillis();
        InferenceJob job;
        long reserve;
        try {
            TenantRules.check(caller, request, model);
            job = jobs.create(JobFactory.newJobId(), requestId, caller, request, model, now, deadline);
            catalog.checkCapabilities(model, job.options(), job.provider());
            // only a caller with counted limits reserves tokens: nobody else pays for the estimate
            reserve = caller.counted() ? TokenEstimator.reservation(job) : 0;
            TenantRules.checkFits(caller, request, reserve);
        } catch (ApiException e) {
            metrics.rejected(caller.tenantId(), request.model(), e.code());
            throw e;
        }
        return admission.admit(caller, job.jobId(), reserve, now, deadline)
                .onFailure().transform(t -> {
                    LOG.warnf("admission of job %s of tenant %s failed: %s", job.jobId(), caller.tenantId(), t.getMessage());
                    return ApiException.unavailable("limits_unavailable", "The rate limiter is unavailable; try again.");
                })
                .invoke(decision -> {
                    metrics.admission(caller, job.model(), decision, System.nanoTime() - arrivedNanos);
                    lastRateLimits.remember(caller, decision.status());
                })
                .chain(decision -> decision.admitted() ? publish(job, request.includeUsage(), decision)
                        : Uni.createFrom().failure(RateLimitErrors.refused(caller, decision, reserve)));
    }

    /**
     * Publishes the job to Kafka and writes its meta hash (and reader key) to Redis at the same time: the request waits
     * for the slower of the two, not for both in turn. If either fails, the job is claimed abandoned before the 503.
     */
    private Uni<RunningJob> publish(InferenceJob job, boolean includeUsage, AdmissionDecision decision) {
        RunningJob running = new RunningJob(job, job.createdAtMs() / 1000, includeUsage, decision);
        return Uni.combine().all().unis(meta.write(job, includeUsage, System.currentTimeMillis()), publisher.publish(job))
                .discardItems()
                .invoke(() -> LOG.debugf("job %s of tenant %s published (request %s)", job.jobId(), job.tenantId(),
                        job.requestId()))
                .replaceWith(running)
                .onFailure().recoverWithUni(t -> abandonOrServe(running, t));
    }

    /**
     * The publish failed or timed out (or the meta could not be written): the producer may still deliver the job, so
     * claim it before answering 503. If a worker (or the router) owned it first, it is in fact running (or ended with
     * an answer in its stream): serve it as usual.
     */
    private Uni<RunningJob> abandonOrServe(RunningJob running, Throwable publishFailure) {
        InferenceJob job = running.job();
        ApiException unavailable = publishFailure instanceof ApiException api ? api
                : ApiException.unavailable("service_unavailable", "The service is temporarily unavailable; try again.");
        if (!(publishFailure instanceof ApiException)) {
            LOG.warnf("job %s of tenant %s: its meta could not be written: %s", job.jobId(), job.tenantId(),
                    publishFailure.getMessage());
        }
        return claims.abandon(job.jobId(), "publish_failed", job.deadlineAtMs())
                // no claim possible means Redis is down: no worker can claim the job either; answer 503 all the same
                .onFailure().recoverWithItem(new JobClaims.Claim(null))
                .chain((JobClaims.Claim claim) -> {
                    if (!claim.claimed() && (JobOwners.isWorker(claim.owner()) || JobOwners.ROUTER.equals(claim.owner()))) {
                        LOG.infof("job %s of tenant %s: publish reported failed but %s owns it; serving it", job.jobId(),
                                job.tenantId(), claim.owner());
                        return Uni.createFrom().<RunningJob>item(running);
                    }
                    AdmissionDecision decision = running.admission();
                    Uni<Void> refund = decision.reservation() == null ? Uni.createFrom().voidItem()
                            : admission.refund(decision.reservation()).onFailure().recoverWithNull().replaceWithVoid();
                    return refund.chain(() -> Uni.createFrom().<RunningJob>failure(unavailable));
                });
    }

    /**
     * The job ended: it stops counting as a concurrent request before the client sees the end (never fails);
     * {@link StreamRelay.Listener#NOTHING} for a job that held no concurrency slot.
     */
    public Uni<Void> ending(RunningJob running) {
        AdmissionDecision decision = running.admission();
        return decision.holdsConcurrency() ? admission.release(decision) : StreamRelay.Listener.NOTHING;
    }

    public void cancel(InferenceJob job, String reason) {
        cancel(job.jobId(), job.tenantId(), reason);
    }

    public void cancel(String jobId, String tenantId, String reason) {
        LOG.debugf("cancelling job %s of tenant %s: %s", jobId, tenantId, reason);
        publisher.cancel(jobId, reason);
    }

    /**
     * The client closed its connection before the answer ended: cancel the job, and when it had produced nothing yet
     * also claim it {@code ~abandoned:client_gone}, so a job still queued (or delivered again) never starts.
     */
    public void clientGone(InferenceJob job, boolean produced) {
        cancel(job, "client_disconnected");
        if (!produced) {
            // nobody waits for the outcome: JobClaims logs and counts it
            claims.abandon(job.jobId(), "client_gone", job.deadlineAtMs()).subscribe().with(claim -> {
            }, failure -> {
            });
        }
    }

    public String systemFingerprint() {
        return config.systemFingerprint();
    }
}
