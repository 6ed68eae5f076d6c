package io.switchboard.router.registry;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.switchboard.schema.event.WorkerHeartbeat;

/**
 * The live workers, from their heartbeats; not thread-safe (owned by the dispatcher's single thread).
 * {@link #expire} takes out the workers whose heartbeats stopped (and the prefixes the router sent them).
 */
public final class WorkerRegistry {
    /** Prompt blocks remembered per worker when none is configured ({@code switchboard.router.prefix-index-blocks}). */
    public static final int DEFAULT_PREFIX_BLOCKS = 16_384;

    private final Map<String, WorkerState> workers = new LinkedHashMap<>();
    private final int prefixBlocks;

    public WorkerRegistry() {
        this(DEFAULT_PREFIX_BLOCKS);
    }

    /** @param prefixBlocks prompt block hashes remembered per worker for prefix affinity (0: none) */
    public WorkerRegistry(int prefixBlocks) {
        this.prefixBlocks = prefixBlocks;
    }

    /** Records a heartbeat: the worker's state, new or updated. */
    public WorkerState heartbeat(WorkerHeartbeat hb, long nowMs) {
        WorkerState state = workers.get(hb.workerId());
        if (state == null) {
            state = new WorkerState(hb, nowMs, prefixBlocks);
            workers.put(hb.workerId(), state);
        } else {
            state.update(hb, nowMs);
        }
        return state;
    }

    public Optional<WorkerState> get(String workerId) {
        return Optional.ofNullable(workers.get(workerId));
    }

    /** Removes and returns the workers not seen since {@code nowMs - timeoutMs}. */
    public List<WorkerState> expire(long nowMs, long timeoutMs) {
        List<WorkerState> gone = new ArrayList<>();
        for (Iterator<WorkerState> it = workers.values().iterator(); it.hasNext();) {
            WorkerState w = it.next();
            if (nowMs - w.lastSeenMs() > timeoutMs) {
                gone.add(w);
                it.remove();
            }
        }
        return gone;
    }

    /** Counts every worker as seen now: while the workers' reports cannot be read, their silence proves nothing. */
    public void touchAll(long nowMs) {
        workers.values().forEach(w -> w.touch(nowMs));
    }

    public boolean anyServes(String model) {
        return workers.values().stream().anyMatch(w -> w.serves(model));
    }

    /** The slots of the live workers serving {@code model}, in use or not. */
    public int slotsServing(String model) {
        return workers.values().stream().filter(w -> w.serves(model)).mapToInt(WorkerState::totalSlots).sum();
    }

    /** The slots of the live, available workers of {@code provider} whose engine can run {@code job}. */
    public int slotsAbleToRun(io.switchboard.schema.event.InferenceJob job, String provider) {
        return workers.values().stream().filter(w -> w.provider().equals(provider) && w.capabilities().available())
                .filter(w -> w.snapshot().canRun(job)).mapToInt(WorkerState::totalSlots).sum();
    }

    /** Of those, the slots free now on workers with room for the whole job (a slot for each of its choices). */
    public int freeSlotsAbleToRun(io.switchboard.schema.event.InferenceJob job, String provider) {
        return workers.values().stream().filter(w -> w.provider().equals(provider) && w.capabilities().available())
                .map(WorkerState::snapshot).filter(w -> w.canRun(job) && w.hasRoomFor(job))
                .mapToInt(WorkerSnapshot::freeSlots).sum();
    }

    /** The free slots of the live workers serving {@code model}. */
    public int freeSlotsServing(String model) {
        return workers.values().stream().filter(w -> w.serves(model)).mapToInt(WorkerState::freeSlots).sum();
    }

    /**
     * Whether any live worker could run the job (it may be busy or restarting now): of the job's provider when it
     * names one, of either otherwise.
     */
    public boolean anyCanRun(io.switchboard.schema.event.InferenceJob job) {
        return workers.values().stream().anyMatch(w -> (job.provider() == null || job.provider().equals(w.provider()))
                && w.snapshot().canRun(job));
    }

    /** Whether a live worker of {@code provider} serves {@code model}. */
    public boolean anyServes(String model, String provider) {
        return workers.values().stream().anyMatch(w -> w.serves(model) && w.provider().equals(provider));
    }

    public List<WorkerSnapshot> snapshots() {
        return workers.values().stream().map(WorkerState::snapshot).toList();
    }

    public int totalFreeSlots() {
        return workers.values().stream().mapToInt(WorkerState::freeSlots).sum();
    }
}
