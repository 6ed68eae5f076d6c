package io.switchboard.router.dispatch;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.switchboard.router.admission.JobQueue;
import io.switchboard.router.registry.WorkerSnapshot;
import io.switchboard.schema.event.AssignmentReply;
import io.switchboard.schema.event.InferenceJob;
import io.switchboard.schema.event.JobCompletion;
import io.switchboard.schema.event.WorkerHeartbeat;

/**
 * Drives a {@link Dispatcher} the way healthy workers answer it, for the tests of what the router decides: every
 * assignment is accepted at once, each heartbeat lists the jobs its worker runs, and {@link Action.Settle}s and
 * {@link Action.Republish}es (Kafka bookkeeping, tested on their own) are left out of what the test sees. The workers' own faults are tested on a bare
 * dispatcher.
 */
final class AcceptingWorkers {
    private final Dispatcher d;
    private final Map<String, Set<String>> runningOn = new HashMap<>();

    AcceptingWorkers(Dispatcher d) {
        this.d = d;
    }

    List<Action> onJob(InferenceJob job, long now) {
        return answer(d.onJob(job, now), now);
    }

    List<Action> onHeartbeat(WorkerHeartbeat hb, long now) {
        List<String> running = List.copyOf(runningOn.getOrDefault(hb.workerId(), Set.of()));
        WorkerHeartbeat listed = new WorkerHeartbeat(hb.v(), hb.workerId(), hb.models(), hb.engine(), hb.totalSlots(),
                hb.freeSlots(), hb.queued(), running, hb.sentAtMs(), hb.intervalMs(), hb.capabilities(), hb.provider());
        return answer(d.onHeartbeat(listed, now), now);
    }

    List<Action> onCompletion(String jobId, long now) {
        runningOn.values().forEach(s -> s.remove(jobId));
        return answer(d.onCompletion(jobId, now), now);
    }

    List<Action> onCompletion(JobCompletion completion, long now) {
        runningOn.values().forEach(s -> s.remove(completion.jobId()));
        return answer(d.onCompletion(completion, now), now);
    }

    List<Action> onCancel(String jobId, String reason, long now) {
        return answer(d.onCancel(jobId, reason, now), now);
    }

    List<Action> onAssignFailed(InferenceJob job, String reason, long now) {
        runningOn.values().forEach(s -> s.remove(job.jobId()));
        return answer(d.onAssignFailed(job, reason, now), now);
    }

    List<Action> tick(long now) {
        return answer(d.tick(now), now);
    }

    int queued() {
        return d.queued();
    }

    int runningCount() {
        return d.runningCount();
    }

    List<WorkerSnapshot> workers() {
        return d.workers();
    }

    List<JobQueue.PoolStatus> queues() {
        return d.queues();
    }

    private List<Action> answer(List<Action> actions, long now) {
        List<Action> seen = new ArrayList<>();
        for (Action a : actions) {
            if (a instanceof Action.Settle || a instanceof Action.Republish) {
                continue;
            }
            seen.add(a);
            if (a instanceof Action.Assign assign) {
                runningOn.computeIfAbsent(assign.workerId(), w -> new LinkedHashSet<>()).add(assign.job().jobId());
                seen.addAll(answer(d.onReply(AssignmentReply.of(assign.job().jobId(), assign.workerId(),
                        AssignmentReply.Verdict.ACCEPTED, null, now), now), now));
            }
        }
        return seen;
    }
}
