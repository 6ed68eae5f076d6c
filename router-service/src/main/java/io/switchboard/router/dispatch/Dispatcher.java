package io.switchboard.router.dispatch;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.switchboard.router.admission.JobQueue;
import io.switchboard.router.registry.WorkerRegistry;
import io.switchboard.router.registry.WorkerSnapshot;
import io.switchboard.router.registry.WorkerState;
import io.switchboard.router.scheduling.Placement;
import io.switchboard.schema.event.FailureCode;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.WorkerHeartbeat;

/**
 * The router's state machine: every input (a job, a heartbeat, a completion, a cancel, a clock tick)
 * goes in, the actions to carry out come out. No I/O and no clock of its own, so every decision is
 * checked in plain tests. Not thread-safe: {@link RouterLoop} calls it from one thread.
 */
public final class Dispatcher {
    private static final int RECENTLY_COMPLETED = 4096;
    /** The reason a drop carries when the cancel named none. */
    static final String UNKNOWN_CANCEL_REASON = "cancelled";

    private final JobQueue queue = new JobQueue();
    private final WorkerRegistry registry = new WorkerRegistry();
    private final Placement placement;
    private final long workerTimeoutMs;
    private final long noWorkerWaitMs;
    /** jobId → the assigned job, for the jobs in some worker's slot. */
    private final Map<String, Running> running = new HashMap<>();
    private final Map<String, Boolean> recentlyCompleted = new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > RECENTLY_COMPLETED;
        }
    };

    private record Running(InferenceJob job, String workerId) {
    }

    public Dispatcher(Placement placement, long workerTimeoutMs, long noWorkerWaitMs) {
        this.placement = placement;
        this.workerTimeoutMs = workerTimeoutMs;
        this.noWorkerWaitMs = noWorkerWaitMs;
    }

    public List<Action> onJob(InferenceJob job, long nowMs) {
        if (running.containsKey(job.jobId()) || recentlyCompleted.containsKey(job.jobId())) {
            return List.of();
        }
        if (job.expiredAt(nowMs)) {
            return List.of(new Action.Fail(job, FailureCode.QUEUE_TIMEOUT, "The request expired before it could be scheduled."));
        }
        queue.add(job, nowMs);
        return dispatch(nowMs);
    }

    public List<Action> onHeartbeat(WorkerHeartbeat hb, long nowMs) {
        registry.heartbeat(hb, nowMs, recentlyCompleted.keySet());
        return dispatch(nowMs);
    }

    public List<Action> onCompletion(String jobId, long nowMs) {
        release(jobId);
        return dispatch(nowMs);
    }

    private void release(String jobId) {
        Running r = running.remove(jobId);
        recentlyCompleted.put(jobId, Boolean.TRUE);
        if (r != null) {
            registry.get(r.workerId()).ifPresent(w -> w.assigned().remove(jobId));
        }
    }

    /**
     * Nobody waits for the job any more ({@code reason}: client gone, request timed out): a waiting job is dropped
     * (and its end recorded); a running one ends when its worker reports it, and an unknown one is ignored.
     */
    public List<Action> onCancel(String jobId, String reason, long nowMs) {
        Optional<InferenceJob> waiting = queue.remove(jobId);
        if (waiting.isEmpty()) {
            return List.of();
        }
        return List.of(new Action.Drop(waiting.get(), reason == null || reason.isBlank() ? UNKNOWN_CANCEL_REASON : reason));
    }

    /** The assignment could not be sent: the slot is given back and the job fails. */
    public List<Action> onAssignFailed(InferenceJob job, String reason, long nowMs) {
        release(job.jobId());
        List<Action> actions = new ArrayList<>();
        actions.add(new Action.Fail(job, FailureCode.NO_WORKER_AVAILABLE, "The job could not be handed to a worker: " + reason));
        actions.addAll(dispatch(nowMs));
        return actions;
    }

    public List<Action> tick(long nowMs) {
        List<Action> actions = new ArrayList<>();
        for (WorkerState gone : registry.expire(nowMs, workerTimeoutMs)) {
            for (String jobId : List.copyOf(gone.assigned())) {
                Running r = running.remove(jobId);
                if (r != null) {
                    actions.add(new Action.Fail(r.job(), FailureCode.WORKER_LOST,
                            "The worker running this request stopped responding."));
                }
            }
        }
        for (InferenceJob job : queue.removeIf(w -> w.job().expiredAt(nowMs))) {
            actions.add(new Action.Fail(job, FailureCode.QUEUE_TIMEOUT,
                    "No worker had room for the request before its deadline."));
        }
        for (InferenceJob job : queue.removeIf(w -> nowMs - w.enqueuedAtMs() >= noWorkerWaitMs
                && !registry.anyServes(w.job().model()))) {
            actions.add(new Action.Fail(job, FailureCode.NO_WORKER_AVAILABLE,
                    "No worker serving model '" + job.model() + "' is available."));
        }
        actions.addAll(dispatch(nowMs));
        return actions;
    }

    private List<Action> dispatch(long nowMs) {
        if (queue.size() == 0 || registry.totalFreeSlots() == 0) {
            return List.of();
        }
        List<Action> actions = new ArrayList<>();
        // one snapshot per dispatch, refreshed only when an assignment changed it
        List<WorkerSnapshot> workers = registry.snapshots();
        for (JobQueue.Waiting w : queue.inOrder()) {
            Optional<String> target = placement.place(w.job(), workers);
            if (target.isEmpty()) {
                continue;
            }
            WorkerState worker = registry.get(target.get()).orElseThrow();
            queue.remove(w.job().jobId());
            worker.assigned().add(w.job().jobId());
            running.put(w.job().jobId(), new Running(w.job(), worker.workerId()));
            actions.add(new Action.Assign(w.job(), worker.workerId()));
            if (registry.totalFreeSlots() == 0) {
                break;
            }
            workers = registry.snapshots();
        }
        return actions;
    }

    public List<WorkerSnapshot> workers() {
        return registry.snapshots();
    }

    public int queued() {
        return queue.size();
    }

    public int runningCount() {
        return running.size();
    }
}
