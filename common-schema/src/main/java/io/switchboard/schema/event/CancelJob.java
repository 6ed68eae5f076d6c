package io.switchboard.schema.event;

/**
 * The gateway's signal that nobody waits for a job any more (client gone, or request timed out);
 * published on {@link io.switchboard.schema.wire.Topics#CANCELS}. The router drops it from its queue,
 * the worker running it stops the sequence and frees the slot.
 */
public record CancelJob(int v, String jobId, String reason, long atMs) {
    public static final int VERSION = 1;

    public static CancelJob of(String jobId, String reason, long nowMs) {
        return new CancelJob(VERSION, jobId, reason, nowMs);
    }
}
