package io.switchboard.router.dispatch;

import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.InferenceJob;

/** What the dispatcher decided; carried out (Kafka, Redis) by {@link RouterLoop}. */
public sealed interface Action {

    /** Send {@code job} to {@code workerId}. */
    record Assign(InferenceJob job, String workerId) implements Action {
    }

    /** End the job with an error the client sees. */
    record Fail(InferenceJob job, FailureCode code, String message) implements Action {
    }
}
