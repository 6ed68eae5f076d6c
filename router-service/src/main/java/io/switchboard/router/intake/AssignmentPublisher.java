package io.switchboard.router.intake;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.JobAssignment;

/** Sends assignments to the workers' topic, keyed by worker id; the returned Uni completes on Kafka's ack. */
@ApplicationScoped
public class AssignmentPublisher {

    @Inject
    @Channel("assignments")
    MutinyEmitter<JobAssignment> assignments;

    public Uni<Void> publish(InferenceJob job, String workerId) {
        JobAssignment assignment = JobAssignment.of(job, workerId, System.currentTimeMillis());
        return assignments.sendMessage(Message.of(assignment)
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(workerId).build()));
    }
}
