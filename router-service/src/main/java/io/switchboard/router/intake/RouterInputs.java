package io.switchboard.router.intake;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Incoming;

import io.switchboard.router.dispatch.RouterLoop;
import io.switchboard.schema.event.CancelJob;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.JobCompletion;
import io.switchboard.schema.event.WorkerHeartbeat;

/** The router's Kafka inputs, each handed to the {@link RouterLoop}. Undecodable records arrive as null and are skipped. */
@ApplicationScoped
public class RouterInputs {

    @Inject
    RouterLoop loop;

    @Incoming("jobs")
    public void job(InferenceJob job) {
        if (job != null) {
            loop.job(job);
        }
    }

    @Incoming("heartbeats")
    public void heartbeat(WorkerHeartbeat heartbeat) {
        if (heartbeat != null) {
            loop.heartbeat(heartbeat);
        }
    }

    @Incoming("completions")
    public void completion(JobCompletion completion) {
        if (completion != null) {
            loop.completed(completion);
        }
    }

    @Incoming("cancels")
    public void cancel(CancelJob cancel) {
        if (cancel != null) {
            loop.cancelled(cancel.jobId(), cancel.reason());
        }
    }
}
