package io.switchboard.gateway.job;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.switchboard.gateway.GatewayConfig;
import io.switchboard.gateway.catalog.ModelCatalog;
import io.switchboard.gateway.error.ApiException;
import io.switchboard.gateway.stream.TokenStreamReader;
import io.switchboard.gateway.validation.RequestValidator;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.TokenEvent;
import io.switchboard.schema.openai.ChatCompletionRequest;

/**
 * The request path behind {@code POST /v1/chat/completions}: validate, resolve the model, publish the
 * job (awaited), then hand back the job's token events from Redis.
 */
@ApplicationScoped
public class ChatCompletionService {
    private static final Logger LOG = Logger.getLogger(ChatCompletionService.class);

    private final GatewayConfig config;
    private final ModelCatalog catalog;
    private final JobPublisher publisher;
    private final TokenStreamReader reader;
    private final RequestValidator validator;
    private final JobFactory jobs;

    @Inject
    public ChatCompletionService(GatewayConfig config, ModelCatalog catalog, JobPublisher publisher,
            TokenStreamReader reader) {
        this.config = config;
        this.catalog = catalog;
        this.publisher = publisher;
        this.reader = reader;
        this.validator = RequestValidator.standard(config.maxTokensLimit());
        this.jobs = new JobFactory(config.defaultMaxTokens());
    }

    /** A published job: its identity for the response, and its events (read lazily, on subscription). */
    public record RunningJob(InferenceJob job, long createdSec, Multi<TokenEvent> events) {
    }

    /** Validates synchronously (throws {@link ApiException}), then publishes; the Uni fails with 503 if Kafka does not ack. */
    public Uni<RunningJob> submit(String tenantId, String requestId, ChatCompletionRequest request) {
        validator.validate(request);
        if (catalog.find(request.model()).isEmpty()) {
            throw ApiException.modelNotFound(request.model());
        }
        long now = System.currentTimeMillis();
        long deadline = now + config.requestTimeout().toMillis();
        InferenceJob job = jobs.create(JobFactory.newJobId(), requestId, tenantId, request, now, deadline);
        return publisher.publish(job)
                .invoke(() -> LOG.debugf("job %s of tenant %s published (request %s)", job.jobId(), tenantId, requestId))
                .map(ignored -> new RunningJob(job, now / 1000, reader.read(job.jobId(), deadline)));
    }

    public void cancel(InferenceJob job, String reason) {
        LOG.debugf("cancelling job %s of tenant %s: %s", job.jobId(), job.tenantId(), reason);
        publisher.cancel(job.jobId(), reason);
    }

    public String systemFingerprint() {
        return config.systemFingerprint();
    }
}
