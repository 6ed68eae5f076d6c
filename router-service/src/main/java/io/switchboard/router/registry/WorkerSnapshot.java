package io.switchboard.router.registry;

import java.util.List;

/** An immutable view of one worker, as placement sees it. */
public record WorkerSnapshot(String workerId, List<String> models, String engine, int totalSlots, int freeSlots,
        int assignedSlots, long lastSeenMs) {

    public boolean serves(String model) {
        return models.contains(model);
    }

    /** Fraction of the worker's slots in use, in [0, 1]. */
    public double load() {
        return totalSlots == 0 ? 1.0 : 1.0 - (double) freeSlots / totalSlots;
    }
}
