package io.switchboard.router.dispatch;

import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.InferenceJob;

/** What the dispatcher decided; carried out (Kafka, Redis) by {@link RouterLoop}. */
public sealed interface Action {

    /** Send {@code job} to {@code workerId}. */
    record Assign(InferenceJob job, String workerId) implements Action {
    }

    /**
     * End the job with an error the client sees; {@code retryAfterMs}, when not null, tells the client when trying
     * again may succeed (a refusal for load, not a failure of the job itself).
     */
    record Fail(InferenceJob job, FailureCode code, String message, Long retryAfterMs) implements Action {
        public Fail(InferenceJob job, FailureCode code, String message) {
            this(job, code, message, null);
        }
    }

    /**
     * The job left the queue without running because nobody waits for it any more; the client is told
     * nothing (it is gone, or has had its timeout), but the job's end is recorded. {@code reason} is the
     * cancel's ({@code client_disconnected}, {@code timeout}, ...).
     */
    record Drop(InferenceJob job, String reason) implements Action {
    }
}
