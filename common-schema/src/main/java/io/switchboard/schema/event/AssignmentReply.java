package io.switchboard.schema.event;

/**
 * A worker's answer to an assignment, sent to the routers' inbox ({@link io.switchboard.schema.wire.RedisKeys#ROUTER_INBOX}).
 * Capacity is decided where it is used: a worker takes a job only into free slots (one per choice) and only if it wins
 * the job's owner claim ({@link io.switchboard.schema.wire.RedisKeys#jobOwner}).
 *
 * @param verdict {@link Verdict#ACCEPTED}: it runs here; {@link Verdict#FULL}: too few free slots (or draining), the router
 *                puts it back in line; {@link Verdict#CLAIMED}: someone else owns it (it runs elsewhere, or it was ended
 *                or given up), the router lets it go
 * @param owner   for {@code CLAIMED}, who holds the claim (null otherwise)
 */
public record AssignmentReply(int v, String jobId, String workerId, Verdict verdict, String owner, long atMs) {
    public static final int VERSION = 1;

    public enum Verdict {
        ACCEPTED, FULL, CLAIMED
    }

    public static AssignmentReply of(String jobId, String workerId, Verdict verdict, String owner, long nowMs) {
        return new AssignmentReply(VERSION, jobId, workerId, verdict, owner, nowMs);
    }
}
