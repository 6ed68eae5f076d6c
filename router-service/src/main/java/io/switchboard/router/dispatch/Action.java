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
     * The job went back in line after its record was settled (taken back from a lost worker, handed back by a local
     * engine): write it to the jobs topic again, so a router that takes over finds it (see
     * {@code intake.JobRepublisher}).
     */
    record Republish(InferenceJob job) implements Action {
    }

    /**
     * The job left the queue without running because nobody waits for it any more; the client is told
     * nothing (it is gone, or has had its timeout), but the job's end is recorded. {@code reason} is the
     * cancel's ({@code client_disconnected}, {@code timeout}, ...).
     */
    record Drop(InferenceJob job, String reason) implements Action {
    }

    /**
     * The job's fate is settled as far as the router goes (a worker accepted it, another party owns it, or it ended):
     * its Kafka record may be committed. A {@link Fail} or {@link Drop} settles its job once carried out.
     */
    record Settle(String jobId) implements Action {
    }

    /**
     * The job's worker is gone, or no longer runs it without having reported its end: the job is ended, under its
     * owner claim, by {@code RouterLoop}: back in line (when {@code job} is known and no token was sent, see
     * {@link Dispatcher#onOrphanRequeued}), or with {@code worker_lost} in-band. {@code job} is null for a job the
     * router adopted from a heartbeat without having seen it; {@code enqueuedAtMs} and {@code seq} are its place in
     * line.
     */
    record Orphan(String jobId, InferenceJob job, String workerId, long enqueuedAtMs, long seq) implements Action {
    }
}
