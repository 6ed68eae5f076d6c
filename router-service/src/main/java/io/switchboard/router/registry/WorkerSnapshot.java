package io.switchboard.router.registry;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * An immutable view of one worker, as placement sees it, for one decision; {@code prefixes} reads the router's index of
 * the prompt prefixes recently sent to the worker (not shown by the status API).
 */
public record WorkerSnapshot(String workerId, List<String> models, String engine, int totalSlots, int freeSlots,
        int assignedSlots, long lastSeenMs, @JsonIgnore PrefixLookup prefixes) {

    public WorkerSnapshot {
        prefixes = prefixes == null ? PrefixLookup.NONE : prefixes;
    }

    /** A worker the router has sent no prompt yet. */
    public WorkerSnapshot(String workerId, List<String> models, String engine, int totalSlots, int freeSlots,
            int assignedSlots, long lastSeenMs) {
        this(workerId, models, engine, totalSlots, freeSlots, assignedSlots, lastSeenMs, PrefixLookup.NONE);
    }

    public boolean serves(String model) {
        return models.contains(model);
    }

    /** Fraction of the worker's slots in use, in [0, 1]. */
    public double load() {
        return totalSlots == 0 ? 1.0 : 1.0 - (double) freeSlots / totalSlots;
    }
}
