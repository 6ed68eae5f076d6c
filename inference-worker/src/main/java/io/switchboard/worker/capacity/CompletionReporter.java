package io.switchboard.worker.capacity;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.switchboard.schema.event.JobCompletion;

/**
 * Tells the router that a job left its slot, so the slot is given out again, with the job's real token counts (the
 * router charges them to the tenant's fair share).
 */
@ApplicationScoped
public class CompletionReporter {
    private static final Logger LOG = Logger.getLogger(CompletionReporter.class);

    @Inject
    @Channel("completions")
    MutinyEmitter<JobCompletion> completions;

    public void report(String jobId, String workerId, JobCompletion.Outcome outcome, int promptTokens, int completionTokens) {
        JobCompletion event = JobCompletion.of(jobId, workerId, outcome, System.currentTimeMillis(), promptTokens,
                completionTokens);
        completions.sendMessage(Message.of(event).addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(jobId).build()))
                .subscribe().with(ok -> {
                }, t -> LOG.warnf("completion of job %s not reported: %s", jobId, t.getMessage()));
    }
}
