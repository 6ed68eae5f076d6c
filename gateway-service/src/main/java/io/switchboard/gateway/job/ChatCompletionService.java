package io.switchboard.gateway.job;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.smallrye.mutiny.Multi;
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
import io.switchboard.gateway.stream.TokenStreamReader;
import io.switchboard.gateway.usage.TenantMetrics;
import io.switchboard.gateway.validation.RequestValidator;
import io.switchboard.gateway.validation.TenantRules;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.openai.ChatCompletionRequest;

/**
 * The request path behind {@code POST /v1/chat/completions}: validate, resolve the model for the caller, admit it
 * against the tenant's limits, publish the job (awaited), then hand back the job's token events from Redis.
 */
@ApplicationScoped
public class ChatCompletionService {
    private static final Logger LOG = Logger.getLogger(ChatCompletionService.class);

    private final GatewayConfig config;
    private final ModelCatalog catalog;
    private final JobPublisher publisher;
    private final TokenStreamReader reader;
    private final Admission admission;
    private final TenantMetrics metrics;
    private final LastRateLimits lastRateLimits;
    private final RequestValidator validator;
    private final JobFactory jobs;

    @Inject
    public ChatCompletionService(GatewayConfig config, ModelCatalog catalog, JobPublisher publisher,
            TokenStreamReader reader, Admission admission, TenantMetrics metrics, LastRateLimits lastRateLimits) {
        this.config = config;
        this.catalog = catalog;
        this.publisher = publisher;
        this.reader = reader;
        this.admission = admission;
        this.metrics = metrics;
        this.lastRateLimits = lastRateLimits;
        this.validator = RequestValidator.standard(config.maxTokensLimit());
        this.jobs = new JobFactory(config.defaultMaxTokens(), config.tenancy().priorityRange());
    }

    /**
     * A published job: its identity for the response, its events (read lazily, on subscription), and what admission
     * decided (the rate-limit headers to answer with, the reservation to release when the answer ends).
     */
    public record RunningJob(InferenceJob job, long createdSec, Multi<TokenEvent> events, AdmissionDecision admission) {
        public RateLimitStatus rateLimits() {
            return admission.status();
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
        if (catalog.find(request.model()).isEmpty()) {
            throw ApiException.modelNotFound(request.model());
        }
        long now = System.currentTimeMillis();
        long deadline = now + config.requestTimeout().toMillis();
        InferenceJob job;
        long reserve;
        try {
            TenantRules.check(caller, request);
            job = jobs.create(JobFactory.newJobId(), requestId, caller, request, now, deadline);
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
                .chain(decision -> decision.admitted() ? publish(job, decision)
                        : Uni.createFrom().failure(RateLimitErrors.refused(caller, decision, reserve)));
    }

    private Uni<RunningJob> publish(InferenceJob job, AdmissionDecision decision) {
        return publisher.publish(job)
                .onFailure().call(() -> decision.reservation() == null ? Uni.createFrom().voidItem()
                        : admission.refund(decision.reservation()).onFailure().recoverWithNull().replaceWithVoid())
                .invoke(() -> LOG.debugf("job %s of tenant %s published (request %s)", job.jobId(), job.tenantId(),
                        job.requestId()))
                .map(ignored -> new RunningJob(job, job.createdAtMs() / 1000, reader.read(job.jobId(), job.deadlineAtMs()),
                        decision));
    }

    /** The answer ended (sent, failed, or the client left): the job no longer counts as a concurrent request. */
    public void ended(RunningJob running) {
        admission.release(running.admission().reservation());
    }

    public void cancel(InferenceJob job, String reason) {
        LOG.debugf("cancelling job %s of tenant %s: %s", job.jobId(), job.tenantId(), reason);
        publisher.cancel(job.jobId(), reason);
    }

    public String systemFingerprint() {
        return config.systemFingerprint();
    }
}
