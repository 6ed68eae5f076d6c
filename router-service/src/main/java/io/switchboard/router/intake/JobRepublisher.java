package io.switchboard.router.intake;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.switchboard.router.metrics.RouterMetrics;
import io.switchboard.schema.event.InferenceJob;

/**
 * Writes a job to the jobs topic again when it goes back in line after its first record was settled (taken back from
 * a lost worker, or handed back by a local engine that failed before its first token). The job is then in Kafka
 * again, not only in this router's memory: a router that takes over before the job runs again reads it and runs it.
 * This router recognises the new record of a job it holds (waiting, running or ended) and settles it once the job's
 * fate is settled again. Written with {@code acks=all} and idempotence, keyed by job as the gateway writes jobs; a
 * write that fails leaves the job in this router's line all the same.
 */
@ApplicationScoped
public class JobRepublisher {
    private static final Logger LOG = Logger.getLogger(JobRepublisher.class);

    @Inject
    @Channel("requeued")
    MutinyEmitter<InferenceJob> jobs;
    @Inject
    RouterMetrics metrics;

    public void publish(InferenceJob job) {
        jobs.sendMessage(Message.of(job).addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(job.jobId())
                .build())).subscribe().with(ok -> metrics.republished("written"), t -> {
                    LOG.warnf("job %s back in line but not written to the jobs topic again: %s", job.jobId(),
                            t.getMessage());
                    metrics.republished("failed");
                });
    }
}
