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

    /** How long a worker's inbox outlives its last assignment (or its making, when none came). */
    public static final java.time.Duration WORKER_INBOX_TTL = java.time.Duration.ofHours(1);

    /**
     * Who owns a job's outcome: {@code SET NX} by the first party to take it (see {@link JobOwners} for the values): the
     * worker that accepts it into a slot, the router that fails it before any worker did, or the gateway that gave up
     * on it (answered the client with an error, or the client left before it started). Whoever loses the race leaves
     * the job alone, so a job delivered twice runs once and a request answered with an error never runs later.
     * Expires a while after the job's deadline.
     */
    public static String jobOwner(String jobId) {
        return PREFIX + "job:{" + jobId + "}:owner";
    }

    /**
     * Hash of what resuming a job's stream needs: {@code tenant} (only the same tenant may resume), {@code model},
     * {@code created} (epoch seconds). Written by the gateway that accepted the request; expires with the stream.
     */
    public static String jobMeta(String jobId) {
        return PREFIX + "job:{" + jobId + "}:meta";
    }

    /**
     * Present while some gateway relays the job's stream to a client (refreshed by that gateway, expiring after the
     * resume grace): a worker cancels a running job whose reader has been gone longer than the grace.
     */
    public static String jobReader(String jobId) {
        return PREFIX + "job:{" + jobId + "}:reader";
    }

    /**
     * The routers' inbox: a stream of what workers report to the routers (field {@link #KIND_FIELD} says which:
     * {@code heartbeat}, {@code reply}, {@code completion}; field {@link #EVENT_FIELD} holds the event). One stream, so
     * a worker's reports arrive in the order it sent them; every router reads all of it. On Redis, not Kafka, so a
     * Kafka outage never makes a healthy worker look dead. Bounded with MAXLEN.
     */
    public static final String ROUTER_INBOX = PREFIX + "router:inbox";

    /** Field of a {@link #ROUTER_INBOX} entry naming the kind of report. */
    public static final String KIND_FIELD = "k";

    /** The active router's lease: {@code SET NX PX} with the router's id, renewed while it lives; standbys wait for it. */
    public static final String ROUTER_LEADER = PREFIX + "router:leader";

    /** The consumer group through which a worker reads its {@link #workerInbox}, so a restart under the same id resumes. */
    public static final String WORKER_INBOX_GROUP = "worker";

    /**
     * The claim on writing a job's {@link io.switchboard.schema.event.UsageRecord}: {@code SET NX} by the worker or
     * router about to publish it, so exactly one record is written per job.
     */
    public static String usageClaim(String jobId) {
        return PREFIX + "usage:claim:{" + jobId + "}";
    }

    // ---- Tenancy: the system of record of tenants and keys (written by the gateways' admin API and tenants file)

    /** Hash: tenant id → tenant JSON. */
    public static final String TENANTS = PREFIX + "tenancy:tenants";
    /** Hash: key id → key JSON (the key's SHA-256, never the key). */
    public static final String API_KEYS = PREFIX + "tenancy:keys";
    /** Counter bumped on every change of {@link #TENANTS} or {@link #API_KEYS}; gateways reload when it moves. */
    public static final String TENANCY_VERSION = PREFIX + "tenancy:version";
    /**
     * Pub/sub channel: the new {@link #TENANCY_VERSION}, published by the script that bumped it, so every gateway
     * reloads at once instead of at its next poll.
     */
    public static final String TENANCY_CHANGES = PREFIX + "tenancy:changes";

    // ---- Limits and budgets. Every key of one tenant shares the hash tag {tenant}, so the one admission script
    // ---- (tenant scope and key scope together) touches a single Redis Cluster slot.

    /**
     * The prefix of one limit scope's keys: a tenant ({@code scope} = {@code t}) or one of its keys ({@code k:keyId}).
     * Under it: {@code requests} (sliding-window log), {@code tokens} and {@code tokens:sum} (sliding-window log of
     * reserved tokens and its running sum), {@code concurrent} (running jobs, scored by deadline),
     * {@code day:yyyymmdd} and {@code month:yyyymm} (budget counters).
     */
    public static String limitScope(String tenantId, String scope) {
        return PREFIX + "limits:{" + tenantId + "}:" + scope + ":";
    }

    /** Hash: what admission reserved for one job (scopes, tokens, windows), settled once by its usage record. */
    public static String reservation(String tenantId, String jobId) {
        return PREFIX + "limits:{" + tenantId + "}:reservation:" + jobId;
    }

    // ---- Usage views, kept from the usage records

    /** Hash: one tenant's usage on one UTC day ({@code yyyymmdd}): totals, per model and per key. */
    public static String usageDay(String tenantId, String day) {
        return PREFIX + "usage:{" + tenantId + "}:day:" + day;
    }

    /** Set: the tenants with usage on one UTC day. */
    public static String usageTenantsOfDay(String day) {
        return PREFIX + "usage:tenants:day:" + day;
    }

    /** Marks a usage record as applied to counters and views (records may be delivered twice). */
    public static String usageApplied(String tenantId, String jobId) {
        return PREFIX + "usage:{" + tenantId + "}:applied:" + jobId;
    }
}
