package io.switchboard.schema.event;

import java.util.List;

/**
 * A worker's periodic statement of what it serves and how much room it has: every heartbeat interval to the routers'
 * inbox ({@link io.switchboard.schema.wire.RedisKeys#ROUTER_INBOX}), and on
 * {@link io.switchboard.schema.wire.Topics#HEARTBEATS} for the gateways' model catalog (when what the catalog keeps
 * changes, else every catalog interval). A worker whose heartbeats stop for the router's configured time is taken out
 * of the registry and its running jobs are taken back.
 *
 * @param workerId    unique per worker process (a restarted worker is a new worker)
 * @param models      the model ids it serves
 * @param engine      the engine kind ({@code llama}, {@code simulated})
 * @param totalSlots  sequences it can run at once
 * @param freeSlots   slots free when the heartbeat was sent
 * @param queued      assignments waiting inside the worker (0 unless the router over-assigned)
 * @param runningJobs ids of the jobs in its slots, so the router can reconcile
 * @param sentAtMs    when it was sent (epoch ms)
 * @param intervalMs  the worker's heartbeat interval
 * @param capabilities what its engine can do (aliases, context, features, availability); {@link
 *                     EngineCapabilities#TEXT_ONLY} for heartbeats before v2
 * @param generated   per running job, the completion tokens generated so far (the router charges fair share as jobs
 *                    go, not only at their end); empty before v2
 * @param provider    {@link Providers#LOCAL} (the fleet's own engine) or {@link Providers#CLOUD} (a cloud provider behind
 *                    an {@code openai} engine); local for heartbeats before v2
 */
public record WorkerHeartbeat(
        int v,
        String workerId,
        List<String> models,
        String engine,
        int totalSlots,
        int freeSlots,
        int queued,
        List<String> runningJobs,
        long sentAtMs,
        long intervalMs,
        EngineCapabilities capabilities,
        String provider,
        java.util.Map<String, Integer> generated) {

    /** v2 added {@code capabilities}. */
    public static final int VERSION = 2;

    public WorkerHeartbeat {
        models = List.copyOf(models);
        runningJobs = runningJobs == null ? List.of() : List.copyOf(runningJobs);
        capabilities = capabilities == null ? EngineCapabilities.TEXT_ONLY : capabilities;
        provider = provider == null ? Providers.LOCAL : provider;
        generated = generated == null ? java.util.Map.of() : java.util.Map.copyOf(generated);
    }

    /** A heartbeat that reports no progress of running jobs. */
    public WorkerHeartbeat(int v, String workerId, List<String> models, String engine, int totalSlots, int freeSlots,
            int queued, List<String> runningJobs, long sentAtMs, long intervalMs, EngineCapabilities capabilities,
            String provider) {
        this(v, workerId, models, engine, totalSlots, freeSlots, queued, runningJobs, sentAtMs, intervalMs, capabilities,
                provider, null);
    }

    /** A local worker's heartbeat. */
    public WorkerHeartbeat(int v, String workerId, List<String> models, String engine, int totalSlots, int freeSlots,
            int queued, List<String> runningJobs, long sentAtMs, long intervalMs, EngineCapabilities capabilities) {
        this(v, workerId, models, engine, totalSlots, freeSlots, queued, runningJobs, sentAtMs, intervalMs, capabilities,
                null, null);
    }

    /** A heartbeat without capabilities (v1): plain text only. */
    public WorkerHeartbeat(int v, String workerId, List<String> models, String engine, int totalSlots, int freeSlots,
            int queued, List<String> runningJobs, long sentAtMs, long intervalMs) {
        this(v, workerId, models, engine, totalSlots, freeSlots, queued, runningJobs, sentAtMs, intervalMs, null, null, null);
    }
}
