package io.switchboard.router.registry;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnore;

import io.switchboard.schema.event.EngineCapabilities;
import io.switchboard.schema.event.Feature;
import io.switchboard.schema.event.InferenceJob;

/**
 * An immutable view of one worker, as placement sees it, for one decision; {@code prefixes} reads the router's index of
 * the prompt prefixes recently sent to the worker (not shown by the status API); {@code capabilities} is what its
 * engine announced it can do, {@code provider} whether it is local or a cloud provider, {@code lastAssignedMs} when the
 * router last gave it a job (-1: never).
 */
public record WorkerSnapshot(String workerId, List<String> models, String engine, int totalSlots, int freeSlots,
        int assignedSlots, long lastSeenMs, @JsonIgnore PrefixLookup prefixes, EngineCapabilities capabilities,
        String provider, long lastAssignedMs) {

    public WorkerSnapshot {
        prefixes = prefixes == null ? PrefixLookup.NONE : prefixes;
        capabilities = capabilities == null ? EngineCapabilities.TEXT_ONLY : capabilities;
        provider = provider == null ? io.switchboard.schema.event.Providers.LOCAL : provider;
    }

    /** A worker the router has given no job yet. */
    public WorkerSnapshot(String workerId, List<String> models, String engine, int totalSlots, int freeSlots,
            int assignedSlots, long lastSeenMs, PrefixLookup prefixes, EngineCapabilities capabilities, String provider) {
        this(workerId, models, engine, totalSlots, freeSlots, assignedSlots, lastSeenMs, prefixes, capabilities, provider, -1);
    }

    /** A text-only worker the router has sent no prompt yet. */
    public WorkerSnapshot(String workerId, List<String> models, String engine, int totalSlots, int freeSlots,
            int assignedSlots, long lastSeenMs) {
        this(workerId, models, engine, totalSlots, freeSlots, assignedSlots, lastSeenMs, PrefixLookup.NONE, null, null);
    }

    public boolean serves(String model) {
        return models.contains(model);
    }

    /** Whether the job's choices fit in the slots free now (one each, {@link InferenceJob#sequences()}). */
    public boolean hasRoomFor(InferenceJob job) {
        return freeSlots >= job.sequences();
    }

    /**
     * It serves the job's model and its engine has every feature the job needs, for as many choices as it asks, and it
     * has as many slots as the job has choices.
     */
    public boolean canRun(InferenceJob job) {
        int n = job.options().n();
        if (!serves(job.model()) || n > capabilities.maxN() && n > 1 || job.sequences() > totalSlots) {
            return false;
        }
        for (Feature f : job.options().needs()) {
            if (!capabilities.supports(f)) {
                return false;
            }
        }
        return true;
    }

    /** Fraction of the worker's slots in use, in [0, 1]. */
    public double load() {
        return totalSlots == 0 ? 1.0 : 1.0 - (double) freeSlots / totalSlots;
    }
}
