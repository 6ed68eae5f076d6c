package io.switchboard.worker.intake;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Incoming;

import io.switchboard.schema.event.CancelJob;
import io.switchboard.worker.capacity.SlotPool;

/** The worker's Kafka input: cancels (its assignments arrive in its Redis inbox, {@link AssignmentInbox}). */
@ApplicationScoped
public class WorkerInputs {

    @Inject
    SlotPool slots;

    @Incoming("cancels")
    public void cancel(CancelJob cancel) {
        if (cancel != null) {
            slots.cancel(cancel.jobId(), cancel.reason());
        }
    }
}
