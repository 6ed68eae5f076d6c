package io.switchboard.schema.event;

/**
 * The router's decision that {@code workerId} runs {@code job}; written to the worker's inbox stream,
 * {@link io.switchboard.schema.wire.RedisKeys#workerInbox(String)}.
 */
public record JobAssignment(int v, String jobId, String workerId, InferenceJob job, long assignedAtMs) {
    public static final int VERSION = 1;

    public static JobAssignment of(InferenceJob job, String workerId, long nowMs) {
        return new JobAssignment(VERSION, job.jobId(), workerId, job, nowMs);
    }
}
