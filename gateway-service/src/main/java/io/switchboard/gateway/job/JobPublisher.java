package io.switchboard.gateway.job;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.switchboard.gateway.GatewayConfig;
import io.switchboard.gateway.error.ApiException;
import io.switchboard.schema.event.CancelJob;
import io.switchboard.schema.event.InferenceJob;

import org.eclipse.microprofile.reactive.messaging.Message;

/** Publishes jobs and cancels to Kafka. A job publish is awaited: the request fails with 503 if Kafka does not ack. */
@ApplicationScoped
public class JobPublisher {
    private static final Logger LOG = Logger.getLogger(JobPublisher.class);

    @Inject
    @Channel("jobs")
    MutinyEmitter<InferenceJob> jobs;

    @Inject
    @Channel("cancels")
    MutinyEmitter<CancelJob> cancels;

    @Inject
    GatewayConfig config;

    public Uni<Void> publish(InferenceJob job) {
        Duration timeout = config.publishTimeout();
        return Uni.createFrom().deferred(() -> jobs.sendMessage(keyed(job.jobId(), job)))
                .ifNoItem().after(timeout).failWith(() -> ApiException.unavailable("queue_unavailable",
                        "The job queue did not accept the request in time; try again."))
                .onFailure(t -> !(t instanceof ApiException)).transform(t -> {
                    LOG.warnf("job %s of tenant %s not published: %s", job.jobId(), job.tenantId(), t.getMessage());
                    return ApiException.unavailable("queue_unavailable", "The job queue is unavailable; try again.");
                });
    }

    /** Best effort: the job also ends by its deadline if the cancel is lost. */
    public void cancel(String jobId, String reason) {
        cancels.sendMessage(keyed(jobId, CancelJob.of(jobId, reason, System.currentTimeMillis())))
                .subscribe().with(ok -> LOG.debugf("cancel of job %s (%s) published", jobId, reason),
                        t -> LOG.warnf("cancel of job %s not published: %s", jobId, t.getMessage()));
    }

    private static <T> Message<T> keyed(String key, T payload) {
        return Message.of(payload).addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(key).build());
    }
}
