package io.switchboard.schema.wire;

/** The kinds of report in the routers' inbox stream ({@link RedisKeys#ROUTER_INBOX}, field {@link RedisKeys#KIND_FIELD}). */
public final class RouterInbox {
    private RouterInbox() {
    }

    /** A {@link io.switchboard.schema.event.WorkerHeartbeat}. */
    public static final String HEARTBEAT = "heartbeat";
    /** An {@link io.switchboard.schema.event.AssignmentReply}. */
    public static final String REPLY = "reply";
    /** A {@link io.switchboard.schema.event.JobCompletion}. */
    public static final String COMPLETION = "completion";

    /** How many reports the stream keeps (approximately): minutes of reports of a large fleet, never unbounded. */
    public static final long MAX_LEN = 100_000;
}
