package io.switchboard.router.scheduling;

import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.switchboard.router.registry.WorkerSnapshot;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.ServiceClass;

/**
 * Where a job of several choices that found no worker with a free slot for each is held a place: its choices must all
 * run on one worker, and jobs of other models served by the same workers would otherwise take every slot that frees
 * there one by one, so it could wait until its deadline. The worker held for it takes no job of its band or a lower one
 * until the job is placed (anywhere) or leaves the line; its running jobs end and free their slots for it. A job of a
 * higher band is not held back (a critical job does not wait for a batch job's choices). A pure decision.
 */
public final class WideJobHold {
    private WideJobHold() {
    }

    /**
     * The worker to hold for {@code job} among {@code workers} (those open to it): among the allowed, available
     * workers able to run it (its model, features, as many slots as it has choices), the one it held before while that
     * one still qualifies, else the one with the most free slots (ties: fewest slots to wait for, then by id, so the
     * choice is stable). Empty for a job of one choice (any slot that frees is its) and when no worker could run it.
     */
    public static Optional<String> choose(InferenceJob job, PlacementRequest request, List<WorkerSnapshot> workers,
            Optional<String> held) {
        if (job.sequences() <= 1) {
            return Optional.empty();
        }
        List<WorkerSnapshot> able = workers.stream()
                .filter(w -> request.providers().allows(w.provider()) && w.capabilities().available() && w.canRun(job))
                .toList();
        if (held.isPresent() && able.stream().anyMatch(w -> w.workerId().equals(held.get()))) {
            return held;
        }
        return able.stream()
                .min(Comparator.comparingInt((WorkerSnapshot w) -> -w.freeSlots())
                        .thenComparingInt(w -> w.totalSlots() - w.freeSlots())
                        .thenComparing(WorkerSnapshot::workerId))
                .map(WorkerSnapshot::workerId);
    }

    /** A worker held for a waiting job of several choices, and that job's band. */
    public record Held(String workerId, ServiceClass band) {
    }

    /**
     * The workers closed to job {@code jobId} of {@code band}: those held for other jobs of its band or a higher one
     * ({@code holds}: job id to what is held for it).
     */
    public static Set<String> closedTo(String jobId, ServiceClass band, Map<String, Held> holds) {
        if (holds.isEmpty()) {
            return Set.of();
        }
        Set<String> closed = new HashSet<>();
        holds.forEach((holder, hold) -> {
            if (!holder.equals(jobId) && hold.band().rank() <= band.rank()) {
                closed.add(hold.workerId());
            }
        });
        return closed;
    }

    /** The workers a job of {@code band} may be placed on: every worker but those {@link #closedTo closed to it}. */
    public static List<WorkerSnapshot> open(InferenceJob job, ServiceClass band, List<WorkerSnapshot> workers,
            Map<String, Held> holds) {
        Set<String> closed = closedTo(job.jobId(), band, holds);
        return closed.isEmpty() ? workers : workers.stream().filter(w -> !closed.contains(w.workerId())).toList();
    }
}
