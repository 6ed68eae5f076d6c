package io.switchboard.schema.wire;

/**
 * The values of a job's owner claim ({@link RedisKeys#jobOwner}). A worker id means that worker accepted the job; the
 * other values mean the job must never run: the router ended it before any worker took it, or the gateway gave up on
 * it (the client was answered with an error, or left before the job started).
 */
public final class JobOwners {
    private JobOwners() {
    }

    /** The router ended the job (refused, shed, timed out in the queue, or its worker was lost after tokens were sent). */
    public static final String ROUTER = "~router";

    /** Prefix of the gateway's claim: the request was answered without this job (the reason follows). */
    public static final String ABANDONED_PREFIX = "~abandoned:";

    public static String abandoned(String reason) {
        return ABANDONED_PREFIX + reason;
    }

    /** Whether the owner is a worker (a claim that may run the job), not a claim that forbids it. */
    public static boolean isWorker(String owner) {
        return owner != null && !owner.startsWith("~");
    }

    /** How long a claim outlives the job's deadline: longer than any redelivery of the job can come after it. */
    public static final long TTL_AFTER_DEADLINE_MS = 10 * 60_000L;

    /** The claim's time to live for a job with this deadline, at least {@link #TTL_AFTER_DEADLINE_MS}. */
    public static long ttlMs(long deadlineAtMs, long nowMs) {
        return Math.max(0, deadlineAtMs - nowMs) + TTL_AFTER_DEADLINE_MS;
    }
}
