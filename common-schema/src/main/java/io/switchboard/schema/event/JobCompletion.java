package io.switchboard.schema.event;

/**
 * A worker's report that a job left its slot (finished, failed or cancelled); published on
 * {@link io.switchboard.schema.wire.Topics#COMPLETIONS} so the router frees the slot.
 */
public record JobCompletion(int v, String jobId, String workerId, Outcome outcome, long completedAtMs) {
    public static final int VERSION = 1;

    public enum Outcome {
        FINISHED, FAILED, CANCELLED
    }

    public static JobCompletion of(String jobId, String workerId, Outcome outcome, long nowMs) {
        return new JobCompletion(VERSION, jobId, workerId, outcome, nowMs);
    }
}
