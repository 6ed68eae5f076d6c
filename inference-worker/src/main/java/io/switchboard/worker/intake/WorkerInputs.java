package io.switchboard.worker.intake;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Incoming;

import io.switchboard.schema.event.CancelJob;
import io.switchboard.schema.event.JobAssignment;
import io.switchboard.worker.capacity.SlotPool;
import io.switchboard.worker.capacity.WorkerIdentity;

/** The worker's Kafka inputs: its own assignments (others' are skipped) and cancels. */
@ApplicationScoped
public class WorkerInputs {

    @Inject
    SlotPool slots;
    @Inject
    WorkerIdentity identity;

    @Incoming("assignments")
    public void assignment(JobAssignment assignment) {
        if (assignment != null && identity.id().equals(assignment.workerId())) {
            slots.submit(assignment);
        }
    }

    @Incoming("cancels")
    public void cancel(CancelJob cancel) {
        if (cancel != null) {
            slots.cancel(cancel.jobId());
        }
    }
}
