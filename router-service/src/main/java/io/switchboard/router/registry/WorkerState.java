package io.switchboard.router.registry;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import io.switchboard.schema.event.WorkerHeartbeat;

/**
 * What the router knows of one live worker. The slots in use are the router's own assignments (the
 * authority, updated the moment it assigns) plus jobs the worker reports running that this router did
 * not assign (after a router restart), so a worker is never given more than its slots.
 */
public final class WorkerState {
    private final String workerId;
    private List<String> models;
    private String engine;
    private int totalSlots;
    private long lastSeenMs;
    private final Set<String> assigned = new LinkedHashSet<>();
    private final Set<String> foreign = new LinkedHashSet<>();
    private final ServedPrefixes prefixes;

    WorkerState(WorkerHeartbeat hb, long nowMs, int prefixBlocks) {
        this.workerId = hb.workerId();
        this.prefixes = new ServedPrefixes(prefixBlocks);
        update(hb, nowMs, Set.of());
    }

    void update(WorkerHeartbeat hb, long nowMs, Set<String> recentlyCompleted) {
        this.models = hb.models();
        this.engine = hb.engine();
        this.totalSlots = hb.totalSlots();
        this.lastSeenMs = nowMs;
        foreign.clear();
        for (String job : hb.runningJobs()) {
            if (!assigned.contains(job) && !recentlyCompleted.contains(job)) {
                foreign.add(job);
            }
        }
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

    public int freeSlots() {
        return Math.max(0, totalSlots - assigned.size() - foreign.size());
    }

    public boolean serves(String model) {
        return models.contains(model);
    }

    public WorkerSnapshot snapshot() {
        return new WorkerSnapshot(workerId, models, engine, totalSlots, freeSlots(), assigned.size(), lastSeenMs, prefixes);
    }
}
