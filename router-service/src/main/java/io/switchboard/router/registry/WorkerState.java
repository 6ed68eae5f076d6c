package io.switchboard.router.registry;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.switchboard.schema.event.EngineCapabilities;
import io.switchboard.schema.event.WorkerHeartbeat;

/**
 * What the router knows of one live worker. The slots in use are the sequences of the jobs the router assigned there
 * (a job of {@code n} choices takes {@code n}; updated the moment it assigns) and of the jobs it adopted from the
 * worker's heartbeats (after a failover, one slot each until their records say more), so a worker is not given more
 * than its slots; the worker has the last word (it refuses an assignment it has no slots for, and then gets nothing
 * more until its next heartbeat, {@link #markFull}).
 */
public final class WorkerState {
    private final String workerId;
    private List<String> models;
    private String engine;
    private int totalSlots;
    private EngineCapabilities capabilities = EngineCapabilities.TEXT_ONLY;
    private String provider = io.switchboard.schema.event.Providers.LOCAL;
    private long lastSeenMs;
    private long lastAssignedMs = -1;
    /** Per assigned job, the slots it takes (its choices). */
    private final Map<String, Integer> assigned = new LinkedHashMap<>();
    private int assignedSlots;
    private boolean full;
    private final ServedPrefixes prefixes;

    WorkerState(WorkerHeartbeat hb, long nowMs, int prefixBlocks) {
        this.workerId = hb.workerId();
        this.prefixes = new ServedPrefixes(prefixBlocks);
        update(hb, nowMs);
    }

    void update(WorkerHeartbeat hb, long nowMs) {
        this.models = hb.models();
        this.engine = hb.engine();
        this.totalSlots = hb.totalSlots();
        this.capabilities = hb.capabilities();
        this.provider = hb.provider();
        this.lastSeenMs = nowMs;
        this.full = false;
    }

    /** Counts the worker as seen now (its silence says nothing while the router cannot read the workers' reports). */
    void touch(long nowMs) {
        lastSeenMs = Math.max(lastSeenMs, nowMs);
    }

    /** The router gave it a job at {@code nowMs}. */
    public void assignedAt(long nowMs) {
        lastAssignedMs = nowMs;
    }

    /** The worker refused an assignment for want of a slot: it gets nothing more until its next heartbeat. */
    public void markFull() {
        full = true;
    }

    public String workerId() {
        return workerId;
    }

    public List<String> models() {
        return models;
    }

    public String engine() {
        return engine;
    }

    public int totalSlots() {
        return totalSlots;
    }

    public long lastSeenMs() {
        return lastSeenMs;
    }

    /** The jobs that run here (or were assigned here and not yet answered). */
    public Set<String> assignedJobs() {
        return Collections.unmodifiableSet(assigned.keySet());
    }

    /** The job runs here from now on, in {@code slots} of its slots (one per choice). */
    public void assign(String jobId, int slots) {
        Integer before = assigned.put(jobId, slots);
        assignedSlots += slots - (before == null ? 0 : before);
    }

    /** The job no longer runs here: its slots are free. */
    public void unassign(String jobId) {
        Integer before = assigned.remove(jobId);
        if (before != null) {
            assignedSlots -= before;
        }
    }

    /** The prompt prefixes the router recently sent here (see {@link ServedPrefixes}). */
    public ServedPrefixes prefixes() {
        return prefixes;
    }

    /** None while the worker refused for want of a slot, or while its engine says it cannot serve (restarting). */
    public int freeSlots() {
        return full || !capabilities.available() ? 0 : Math.max(0, totalSlots - assignedSlots);
    }

    public EngineCapabilities capabilities() {
        return capabilities;
    }

    /** {@code local} or {@code cloud}. */
    public String provider() {
        return provider;
    }

    public boolean serves(String model) {
        return models.contains(model);
    }

    public WorkerSnapshot snapshot() {
        return new WorkerSnapshot(workerId, models, engine, totalSlots, freeSlots(), assignedSlots, lastSeenMs, prefixes,
                capabilities, provider, lastAssignedMs);
    }
}
