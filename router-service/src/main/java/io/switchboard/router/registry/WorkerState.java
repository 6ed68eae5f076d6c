package io.switchboard.router.registry;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import io.switchboard.schema.event.EngineCapabilities;
import io.switchboard.schema.event.WorkerHeartbeat;

/**
 * What the router knows of one live worker. The slots in use are the jobs the router assigned there (updated the
 * moment it assigns) and the jobs it adopted from the worker's heartbeats (after a failover), so a worker is not
 * given more than its slots; the worker has the last word (it refuses an assignment it has no slot for, and then
 * gets nothing more until its next heartbeat, {@link #markFull}).
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
    private final Set<String> assigned = new LinkedHashSet<>();
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

    public Set<String> assigned() {
        return assigned;
    }

    /** The prompt prefixes the router recently sent here (see {@link ServedPrefixes}). */
    public ServedPrefixes prefixes() {
        return prefixes;
    }

    /** None while the worker refused for want of a slot, or while its engine says it cannot serve (restarting). */
    public int freeSlots() {
        return full || !capabilities.available() ? 0 : Math.max(0, totalSlots - assigned.size());
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
        return new WorkerSnapshot(workerId, models, engine, totalSlots, freeSlots(), assigned.size(), lastSeenMs, prefixes,
                capabilities, provider, lastAssignedMs);
    }
}
