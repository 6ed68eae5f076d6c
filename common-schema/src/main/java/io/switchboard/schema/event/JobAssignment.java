package io.switchboard.schema.event;

/**
 * The router's decision that {@code workerId} runs {@code job}; published on
 * {@link io.switchboard.schema.wire.Topics#ASSIGNMENTS} keyed by worker id.
 */
public record JobAssignment(int v, String jobId, String workerId, InferenceJob job, long assignedAtMs) {
    public static final int VERSION = 1;

    public static JobAssignment of(InferenceJob job, String workerId, long nowMs) {
        return new JobAssignment(VERSION, job.jobId(), workerId, job, nowMs);
    }
}
