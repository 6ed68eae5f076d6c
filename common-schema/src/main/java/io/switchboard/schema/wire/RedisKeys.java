package io.switchboard.schema.wire;

/**
 * Every Redis key pattern of the system, declared once.
 */
public final class RedisKeys {
    private RedisKeys() {
    }

    /** Prefix shared by all Switchboard keys, so one Redis can be shared and scanned safely. */
    public static final String PREFIX = "switchboard:";

    /** Field of a job-stream entry that holds the JSON-encoded {@link io.switchboard.schema.event.TokenEvent}. */
    public static final String EVENT_FIELD = "e";

    /**
     * The stream of {@link io.switchboard.schema.event.TokenEvent}s of one job: written by the worker
     * that runs it (or by the router when the job fails before or while running), read by the gateway
     * that holds the client's connection. Bounded with MAXLEN and expired after the job ends.
     */
    public static String jobStream(String jobId) {
        return PREFIX + "job:{" + jobId + "}:events";
    }

    /**
     * The inbox of one worker: a stream of {@link io.switchboard.schema.event.JobAssignment}s (field
     * {@link #EVENT_FIELD}) written by the router, read by that worker alone with XREAD BLOCK. A Redis hop
     * instead of a Kafka one keeps the assignment off the time to first token, and no worker reads the
     * others' assignments. Bounded with MAXLEN, and it expires when its worker stops reading.
     */
    public static String workerInbox(String workerId) {
        return PREFIX + "worker:{" + workerId + "}:assignments";
    }
}
